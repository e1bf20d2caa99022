// EPLB: expert-parallel load balancing for MoE layers. The semantics follow deepseek-ai/EPLB.
//
// Given a measured (or predicted) load per logical expert, choose how many physical replicas each
// expert gets and on which GPU each replica lives, so that the busiest GPU carries as little as
// possible. Three greedy building blocks:
//  - packing: spread n weighted items over m packs of exactly n/m items each; items are taken
//    heaviest first and each goes to the currently lightest pack that still has room;
//  - replication: starting from one replica per expert, give one more replica at a time to the expert
//    whose load per replica is highest;
//  - mapping back: compose the permutations so each physical slot names its logical expert.
// Hierarchical policy (used when the nodes divide the expert groups, for group-limited routing): pack
// whole groups onto nodes, replicate experts within each node, then pack the node's replicas onto its
// GPUs, so every replica of a group's experts stays on the group's node. Global policy (otherwise):
// the same with one node and one group, i.e. replicate over all experts and pack over all GPUs.
//
// Ties break towards the lower index everywhere: the heavier-first order is a stable sort, the
// lightest pack and the most loaded expert are the first of equals. (The reference sorts with an
// unstable sort, so its order of equal loads depends on the torch build; replicas of one expert always
// tie. Where it orders them by index, as for the README example, the results are identical.) Loads are
// rounded to single precision and all arithmetic is float, as in the reference, so that near-ties
// resolve the same way (exactly so for integer token counts whose per-group sums stay below 2^24).
#pragma once

#include <string>
#include <vector>

namespace hwlab::workloads {

enum class EplbPolicy { hierarchical, global };

// "hierarchical" or "global".
const char* to_string(EplbPolicy policy);

struct ExpertPlacement {
  EplbPolicy policy = EplbPolicy::hierarchical;
  int num_layers = 0, num_logical = 0, num_physical = 0;
  int max_replicas = 0;                   // the largest replica count of any expert in any layer
  std::vector<std::vector<int>> phy2log;  // [layer][physical slot] -> logical expert
  // [layer][logical][replica rank] -> physical slot, -1 padded to max_replicas. Rank 0 is the
  // expert's original replica, then in the order the replicas were added: not sorted by slot.
  std::vector<std::vector<std::vector<int>>> log2phy;
  std::vector<std::vector<int>> logcnt;  // [layer][logical] -> replica count
};

// load: [layer][logical expert] >= 0, finite. Physical slot p lives on GPU p / (num_replicas / num_gpus),
// and GPU g on node g / (num_gpus / num_nodes). Logical experts e with e / (num_logical / num_groups)
// equal form a group. Throws hwlab::UserError for inconsistent sizes or bad loads.
ExpertPlacement rebalance_experts(const std::vector<std::vector<double>>& load, int num_replicas,
                                  int num_groups, int num_nodes, int num_gpus);

// Reads a JSON array of per-layer arrays of loads; errors name the file and the element (layer i, expert j).
std::vector<std::vector<double>> load_expert_loads_json(const std::string& path);

}  // namespace hwlab::workloads

// Where experts live for one MoE layer of a deployment: physical expert slots on GPUs (EPLB or
// contiguous), the GPUs that host the shared expert in routed mode, and the rule that picks which
// replica of an expert a token goes to.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/eplb.h"
#include "workloads/workload_config.h"

namespace hwlab::workloads {

// Where one token goes: the physical slot of each of its experts and that slot's GPU, the
// shared-expert GPU when the shared expert is routed (-1 otherwise), and the distinct destination
// GPUs in the order the slots name them, the shared-expert GPU last (users only count them).
struct TokenRoute {
  std::vector<int> slots;
  std::vector<int> slot_gpus;  // the GPU of each slot
  int shared_gpu = -1;
  std::vector<int> gpus;
};

class ExpertLayout {
 public:
  // Places the routed experts by the workload's policy, balancing `history_loads` (tokens per
  // logical expert of an earlier batch; see TokenRouter::history_loads).
  ExpertLayout(const WorkloadConfig& workload, const std::vector<double>& history_loads);
  // A layout from a given one-layer placement (tests, hand-computed cases).
  ExpertLayout(const WorkloadConfig& workload, ExpertPlacement placement);

  int gpus() const { return gpus_; }
  int gpus_per_node() const { return gpus_per_node_; }
  int node_of(int gpu) const { return gpu / gpus_per_node_; }
  int slots_per_gpu() const { return slots_per_gpu_; }
  int gpu_of_slot(int slot) const { return slot / slots_per_gpu_; }
  // GPUs [first_shared_gpu, gpus) host the shared expert when it is routed; none otherwise.
  int first_shared_gpu() const { return gpus_ - shared_gpus_; }
  const ExpertPlacement& placement() const { return placement_; }

  // The physical slot that serves logical expert `expert` for the token with global index `token`
  // sent from `source_gpu`: the replicas on the sender's node if there are any, otherwise all
  // replicas; among those, in turn by token index, so that replicas share the load evenly.
  int target_slot(int expert, int source_gpu, int64_t token) const;
  // The GPU that serves the shared expert (routed mode only), by the same rule.
  int shared_expert_gpu(int source_gpu, int64_t token) const;
  // Routes token `token` of `source_gpu`'s batch (`experts[0..k)` its logical experts; its global
  // index is source_gpu * tokens_per_gpu + token) into `out`.
  void route_token(const int32_t* experts, int k, int source_gpu, int64_t global_token, TokenRoute& out) const;

 private:
  void index_replicas();
  // The candidates a token from a node picks among, in turn by token index: [begin, begin + count)
  // of a candidate list.
  struct Run {
    int32_t begin = 0, count = 0;
  };
  // For each node, the run of `candidates` (ascending; `gpu_of` maps one to its GPU) on that node,
  // or the whole list when none is there.
  template <class GpuOf>
  std::vector<Run> runs_by_node(const std::vector<int>& candidates, GpuOf gpu_of) const;
  static int pick(const std::vector<int>& candidates, Run run, int64_t token) {
    return candidates[static_cast<size_t>(run.begin + (run.count == 1 ? 0 : token % run.count))];
  }
  // target_slot() for a sender on `node`.
  int slot_from_node(size_t expert, size_t node, int64_t token) const {
    return pick(replica_slots_[expert], replica_runs_[expert * static_cast<size_t>(nodes_) + node], token);
  }

  int gpus_ = 0, gpus_per_node_ = 0, slots_per_gpu_ = 0, shared_gpus_ = 0, nodes_ = 0;
  ExpertPlacement placement_;
  std::vector<std::vector<int>> replica_slots_;  // [logical expert] -> slots of its replicas, ascending
  std::vector<Run> replica_runs_;                // [logical expert * nodes_ + node]
  std::vector<int> slot_gpu_;                    // [slot]: gpu_of_slot(slot); no division per pick (3 % of a replayed decode step)
  std::vector<int> shared_gpu_list_;
  std::vector<Run> shared_runs_;  // [node]
};

}  // namespace hwlab::workloads

#include "workloads/eplb.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace hwlab::workloads {

const char* to_string(EplbPolicy policy) {
  return policy == EplbPolicy::hierarchical ? "hierarchical" : "global";
}

namespace {

// Where each item went when n items were spread over packs of n / num_packs items each.
struct Packing {
  std::vector<int> pack;          // [item] -> pack
  std::vector<int> rank_in_pack;  // [item] -> position inside its pack, in order of arrival
};

// Greedy balanced packing: heaviest item first, each into the lightest pack that still has room.
Packing balanced_packing(const std::vector<float>& weight, int num_packs) {
  const int num_items = static_cast<int>(weight.size());
  assert(num_packs > 0 && num_items % num_packs == 0);
  const int items_per_pack = num_items / num_packs;
  Packing out{std::vector<int>(num_items), std::vector<int>(num_items, 0)};
  if (items_per_pack == 1) {
    // One item per pack: item i simply goes to pack i (no sorting), as in the reference. The greedy
    // below would instead put the heaviest item on pack 0, so this case is not just an optimisation.
    std::iota(out.pack.begin(), out.pack.end(), 0);
    return out;
  }
  // Heaviest first; equal weights keep index order (the stable sort makes ties deterministic).
  std::vector<int> heaviest_first(num_items);
  std::iota(heaviest_first.begin(), heaviest_first.end(), 0);
  std::stable_sort(heaviest_first.begin(), heaviest_first.end(),
                   [&](int a, int b) { return weight[a] > weight[b]; });

  std::vector<float> pack_weight(num_packs, 0.0f);
  std::vector<int> pack_items(num_packs, 0);
  for (int item : heaviest_first) {
    int lightest = -1;  // the first of equally light packs wins
    for (int p = 0; p < num_packs; ++p) {
      if (pack_items[p] == items_per_pack) continue;
      if (lightest < 0 || pack_weight[p] < pack_weight[lightest]) lightest = p;
    }
    out.pack[item] = lightest;
    out.rank_in_pack[item] = pack_items[lightest]++;
    pack_weight[lightest] += weight[item];
  }
  return out;
}

// Replicas of num_log experts spread over num_phy >= num_log physical slots.
struct Replication {
  std::vector<int> phy2log;  // [physical] -> logical; slot i < num_log holds expert i
  std::vector<int> rank;     // [physical] -> which replica of its expert (0 = the original)
  std::vector<int> count;    // [logical] -> number of replicas
};

// Each extra slot goes to the expert with the highest load per replica (the first of equals).
Replication replicate_experts(const std::vector<float>& weight, int num_phy) {
  const int num_log = static_cast<int>(weight.size());
  assert(num_phy >= num_log);
  Replication out{std::vector<int>(num_phy), std::vector<int>(num_phy, 0), std::vector<int>(num_log, 1)};
  std::iota(out.phy2log.begin(), out.phy2log.begin() + num_log, 0);
  for (int slot = num_log; slot < num_phy; ++slot) {
    int busiest = 0;
    float busiest_load = weight[0] / static_cast<float>(out.count[0]);
    for (int e = 1; e < num_log; ++e) {
      float per_replica = weight[e] / static_cast<float>(out.count[e]);
      if (per_replica > busiest_load) {
        busiest = e;
        busiest_load = per_replica;
      }
    }
    out.phy2log[slot] = busiest;
    out.rank[slot] = out.count[busiest]++;
  }
  return out;
}

// One layer's placement: per physical slot its logical expert and replica rank, per expert its count.
struct LayerPlacement {
  std::vector<int> phy2log, rank, logcnt;
};

// Groups to nodes, replicas within nodes, replicas to GPUs. The global policy is this with one node
// and one group.
LayerPlacement place_layer_hierarchical(const std::vector<float>& load, int num_replicas, int num_groups,
                                        int num_nodes, int num_gpus) {
  const int num_logical = static_cast<int>(load.size());
  const int group_size = num_logical / num_groups;
  const int groups_per_node = num_groups / num_nodes;
  const int logical_per_node = num_logical / num_nodes;
  const int physical_per_node = num_replicas / num_nodes;
  const int gpus_per_node = num_gpus / num_nodes;
  const int slots_per_gpu = num_replicas / num_gpus;

  // 1. Whole groups onto nodes, balancing the nodes' total load.
  std::vector<float> group_load(num_groups, 0.0f);
  for (int e = 0; e < num_logical; ++e) group_load[e / group_size] += load[e];
  const Packing group_to_node = balanced_packing(group_load, num_nodes);

  // Renumber the logical experts node-major ("node order"): node n owns the contiguous range
  // [n * logical_per_node, (n + 1) * logical_per_node), its groups in their packing order.
  std::vector<int> logical_of_node_order(num_logical);
  for (int e = 0; e < num_logical; ++e) {
    const int g = e / group_size;
    const int group_slot = group_to_node.pack[g] * groups_per_node + group_to_node.rank_in_pack[g];
    logical_of_node_order[group_slot * group_size + e % group_size] = e;
  }

  LayerPlacement out{std::vector<int>(num_replicas, -1), std::vector<int>(num_replicas, -1),
                     std::vector<int>(num_logical, 0)};
  for (int node = 0; node < num_nodes; ++node) {
    const int first_logical = node * logical_per_node;
    std::vector<float> node_load(logical_per_node);
    for (int i = 0; i < logical_per_node; ++i) node_load[i] = load[logical_of_node_order[first_logical + i]];

    // 2. Replicate the node's experts onto the node's physical slots.
    const Replication replicas = replicate_experts(node_load, physical_per_node);

    // 3. Pack the node's replicas onto its GPUs; a replica carries its expert's load / replica count.
    std::vector<float> replica_load(physical_per_node);
    for (int r = 0; r < physical_per_node; ++r) {
      const int local = replicas.phy2log[r];
      replica_load[r] = node_load[local] / static_cast<float>(replicas.count[local]);
    }
    const Packing replica_to_gpu = balanced_packing(replica_load, gpus_per_node);

    // Map back: GPU-major physical slot -> logical expert.
    for (int r = 0; r < physical_per_node; ++r) {
      const int slot =
          node * physical_per_node + replica_to_gpu.pack[r] * slots_per_gpu + replica_to_gpu.rank_in_pack[r];
      out.phy2log[slot] = logical_of_node_order[first_logical + replicas.phy2log[r]];
      out.rank[slot] = replicas.rank[r];
    }
    for (int i = 0; i < logical_per_node; ++i) {
      out.logcnt[logical_of_node_order[first_logical + i]] = replicas.count[i];
    }
  }
  return out;
}

// A load the algorithm accepts: finite, not negative, representable as a float.
bool valid_load(double value) {
  return std::isfinite(value) && value >= 0.0 &&
         value <= static_cast<double>(std::numeric_limits<float>::max());
}

std::string load_expectation(double value) {
  return fmt::format("expected a finite expert load >= 0 that fits in a float, got {}", value);
}

void require_at_least_one(const char* what, int value) {
  if (value < 1)
    throw UserError(fmt::format("expected the number of {} to be at least 1, got {}", what, value));
}

}  // namespace

ExpertPlacement rebalance_experts(const std::vector<std::vector<double>>& load, int num_replicas,
                                  int num_groups, int num_nodes, int num_gpus) {
  if (load.empty()) throw UserError("expected expert loads for at least one layer, got none");
  if (load[0].empty()) throw UserError("expected at least one expert load per layer, got none in layer 0");
  const int num_layers = static_cast<int>(load.size());
  const int num_logical = static_cast<int>(load[0].size());
  for (int layer = 0; layer < num_layers; ++layer) {
    const int n = static_cast<int>(load[layer].size());
    if (n != num_logical) {
      throw UserError(
          fmt::format("expected every layer to have {} expert loads like layer 0, got {} in layer {}",
                      num_logical, n, layer));
    }
    for (int e = 0; e < n; ++e) {
      if (!valid_load(load[layer][e])) {
        throw UserError(fmt::format("layer {}, expert {}: {}", layer, e, load_expectation(load[layer][e])));
      }
    }
  }
  require_at_least_one("replicas", num_replicas);
  require_at_least_one("expert groups", num_groups);
  require_at_least_one("nodes", num_nodes);
  require_at_least_one("GPUs", num_gpus);
  if (num_gpus % num_nodes != 0) {
    throw UserError(
        fmt::format("expected the number of GPUs to be a multiple of the number of nodes ({}), got {} GPUs",
                    num_nodes, num_gpus));
  }
  if (num_replicas % num_gpus != 0) {
    throw UserError(fmt::format(
        "expected the number of replicas to be a multiple of the number of GPUs ({}), got {} replicas",
        num_gpus, num_replicas));
  }
  if (num_replicas < num_logical) {
    throw UserError(
        fmt::format("expected at least one replica per logical expert, i.e. at least {} replicas, got {}",
                    num_logical, num_replicas));
  }
  if (num_logical % num_groups != 0) {
    throw UserError(fmt::format(
        "expected the number of expert groups to divide the number of logical experts ({}), got {} groups",
        num_logical, num_groups));
  }

  ExpertPlacement out;
  out.policy = num_groups % num_nodes == 0 ? EplbPolicy::hierarchical : EplbPolicy::global;
  out.num_layers = num_layers;
  out.num_logical = num_logical;
  out.num_physical = num_replicas;

  std::vector<std::vector<int>> rank(num_layers);
  for (int layer = 0; layer < num_layers; ++layer) {
    std::vector<float> layer_load(num_logical);
    for (int e = 0; e < num_logical; ++e) layer_load[e] = static_cast<float>(load[layer][e]);
    LayerPlacement placed =
        out.policy == EplbPolicy::hierarchical
            ? place_layer_hierarchical(layer_load, num_replicas, num_groups, num_nodes, num_gpus)
            : place_layer_hierarchical(layer_load, num_replicas, 1, 1, num_gpus);
    out.phy2log.push_back(std::move(placed.phy2log));
    out.logcnt.push_back(std::move(placed.logcnt));
    rank[layer] = std::move(placed.rank);
    out.max_replicas =
        std::max(out.max_replicas, *std::max_element(out.logcnt.back().begin(), out.logcnt.back().end()));
  }

  // log2phy[layer][e][r] is the slot of expert e's replica of rank r.
  out.log2phy.assign(num_layers,
                     std::vector<std::vector<int>>(num_logical, std::vector<int>(out.max_replicas, -1)));
  for (int layer = 0; layer < num_layers; ++layer) {
    for (int slot = 0; slot < num_replicas; ++slot) {
      int& entry = out.log2phy[layer][out.phy2log[layer][slot]][rank[layer][slot]];
      assert(entry == -1);
      entry = slot;
    }
  }
  return out;
}

std::vector<std::vector<double>> load_expert_loads_json(const std::string& path) {
  const std::string text = read_file(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Turn the byte offset into line:column; nlohmann's own text follows for the details.
    SourceLocation where{path, 1, 1};
    const size_t end = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++where.line;
        where.column = 1;
      } else {
        ++where.column;
      }
    }
    std::string detail = e.what();
    const size_t colon = detail.find(": ");
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    throw UserError(
        where,
        "expected a JSON array of per-layer arrays of expert loads, but the JSON is invalid: " + detail);
  }

  const std::string file = SourceLocation{path}.str();
  auto describe = [](const nlohmann::json& value) {
    std::string shown = value.dump();
    if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
    return std::string(value.type_name()) + " " + shown;
  };
  if (!doc.is_array() || doc.empty()) {
    throw UserError(file + ": expected a JSON array of per-layer arrays of expert loads, got " +
                    (doc.is_array() ? std::string("an empty array") : describe(doc)));
  }
  std::vector<std::vector<double>> load;
  for (size_t layer = 0; layer < doc.size(); ++layer) {
    const nlohmann::json& row = doc[layer];
    if (!row.is_array() || row.empty()) {
      throw UserError(fmt::format("{}: layer {}: expected a non-empty array of expert loads, got {}", file,
                                  layer, row.is_array() ? std::string("an empty array") : describe(row)));
    }
    if (layer > 0 && row.size() != doc[0].size()) {
      throw UserError(fmt::format("{}: layer {}: expected {} expert loads like layer 0, got {}", file, layer,
                                  doc[0].size(), row.size()));
    }
    std::vector<double> values;
    values.reserve(row.size());
    for (size_t e = 0; e < row.size(); ++e) {
      if (!row[e].is_number()) {
        throw UserError(fmt::format("{}: layer {}, expert {}: expected a number, got {}", file, layer, e,
                                    describe(row[e])));
      }
      const double value = row[e].get<double>();
      if (!valid_load(value)) {
        throw UserError(fmt::format("{}: layer {}, expert {}: {}", file, layer, e, load_expectation(value)));
      }
      values.push_back(value);
    }
    load.push_back(std::move(values));
  }
  return load;
}

}  // namespace hwlab::workloads

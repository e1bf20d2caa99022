// `hwlab eplb`: expert replication and placement (EPLB) for measured per-expert loads.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/hwlab/commands.h"
#include "workloads/eplb.h"

namespace hwlab::cli {

namespace {

struct EplbOptions {
  std::string load_path;
  int replicas = 0, groups = 0, nodes = 0, gpus = 0;
  bool json = false;
};

std::string join(const std::vector<int>& values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) s += ' ';
    s += std::to_string(values[i]);
  }
  return s;
}

// Readable form: log2phy lists only the replicas an expert has (no -1 padding), rank 0 first.
void print_text(const workloads::ExpertPlacement& p) {
  std::printf("policy: %s\n", workloads::to_string(p.policy));
  std::printf("phy2log:\n");
  for (int layer = 0; layer < p.num_layers; ++layer) {
    std::printf("  layer %d: %s\n", layer, join(p.phy2log[layer]).c_str());
  }
  std::printf("log2phy:\n");
  for (int layer = 0; layer < p.num_layers; ++layer) {
    for (int e = 0; e < p.num_logical; ++e) {
      const std::vector<int>& slots = p.log2phy[layer][e];
      std::vector<int> used(slots.begin(), slots.begin() + p.logcnt[layer][e]);
      std::printf("  layer %d: expert %d: %s\n", layer, e, join(used).c_str());
    }
  }
  std::printf("logcnt:\n");
  for (int layer = 0; layer < p.num_layers; ++layer) {
    std::printf("  layer %d: %s\n", layer, join(p.logcnt[layer]).c_str());
  }
}

// One JSON object; log2phy keeps the -1 padding so that every row has max_replicas entries.
void print_json(const workloads::ExpertPlacement& p) {
  nlohmann::ordered_json out = {{"policy", workloads::to_string(p.policy)},
                                {"phy2log", p.phy2log},
                                {"log2phy", p.log2phy},
                                {"logcnt", p.logcnt}};
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

void add_eplb_command(CLI::App& app) {
  auto opts = std::make_shared<EplbOptions>();
  auto* cmd = app.add_subcommand(
      "eplb", "Replicate and place MoE experts on GPUs from per-expert loads (EPLB, as deepseek-ai/EPLB)");
  cmd->add_option("--load", opts->load_path, "JSON file: an array of per-layer arrays of expert loads")
      ->required();
  cmd->add_option("--replicas", opts->replicas, "Physical expert slots per layer (a multiple of --gpus)")
      ->required();
  cmd->add_option("--groups", opts->groups, "Expert groups (they must divide the experts)")->required();
  cmd->add_option("--nodes", opts->nodes, "Server nodes (hierarchical policy when they divide --groups)")
      ->required();
  cmd->add_option("--gpus", opts->gpus, "GPUs in all (a multiple of --nodes)")->required();
  cmd->add_flag("--json", opts->json, "Print one JSON object {policy, phy2log, log2phy, logcnt}");
  cmd->callback([opts] {
    const auto load = workloads::load_expert_loads_json(opts->load_path);
    const auto placement =
        workloads::rebalance_experts(load, opts->replicas, opts->groups, opts->nodes, opts->gpus);
    if (opts->json) {
      print_json(placement);
    } else {
      print_text(placement);
    }
  });
}

}  // namespace hwlab::cli

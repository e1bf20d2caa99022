// Shared by the emulator tests: small hand-computable clusters and the helpers to run them.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "emulator/emulate.h"
#include "workloads/run_configs.h"

namespace hwlab::emulator::test {

// A trace file whose rows are one expert each (in the temporary directory; names must be unique
// across the tests, which may run in parallel).
inline std::string write_trace(const std::string& name, const std::vector<int>& experts) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "hwlab_test_emulation";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::ofstream out(path);
  for (int e : experts) out << e << "\n";
  return path.string();
}

// One node of `gpus` GPUs, one expert per GPU (expert e on GPU e), top-1, 64 tokens per GPU from
// `trace`, one micro-batch, 20 communication SMs at the rates the hand computations use (pinned
// here, so that calibrating the preset does not change them); `extra` overrides come last; with
// `proposal` (a preset name) that proposal is applied.
inline workloads::RunConfigs tiny(int gpus, const std::string& trace, std::vector<std::string> extra = {},
                                  const char* proposal = nullptr) {
  std::vector<std::string> sets = {
      "platform.node.gpus_per_node=" + std::to_string(gpus),
      "workload.model.routed_experts=" + std::to_string(gpus),
      "workload.model.experts_per_token=1", "workload.model.expert_groups=1",
      "workload.model.max_groups_per_token=1", "workload.deployment.nodes=1",
      "workload.deployment.gpus_per_node=" + std::to_string(gpus), "workload.deployment.attention_tp=1",
      "workload.deployment.attention_dp=" + std::to_string(gpus),
      "workload.deployment.expert_parallel=" + std::to_string(gpus), "workload.deployment.redundant_experts=0",
      "workload.deployment.micro_batches=1", "workload.deployment.tokens_per_gpu=64",
      "workload.routing.popularity=trace", "workload.routing.trace_file=" + trace,
      "workload.placement.policy=contiguous", "workload.deployment.comm_sms=20",
      "platform.comm_sm.nvlink_send_GBps_per_sm=10", "platform.comm_sm.receive_GBps_per_sm=12",
      "platform.comm_sm.chunk_overhead_us=0.5", "platform.node.nvlink_achievable_GBps=160",
      "platform.node.nvlink_latency_us=1", "platform.emulation.chunk_bytes=65536"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, "dsv3-prefill"}};
  if (proposal) in.push_back({config::ConfigKind::proposal, proposal});
  return workloads::load_run_configs(in, sets);
}

inline double metric(const EmulationOutput& o, const char* key) { return o.result.metrics.at(key).get<double>(); }

inline EmulationOptions comm_only() {
  EmulationOptions o;
  o.comm_only = true;
  return o;
}

}  // namespace hwlab::emulator::test

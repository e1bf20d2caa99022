// A small DeepSeek-V3-shaped workload for the runtime tests: the presets with fewer tokens.
#pragma once

#include <string>
#include <vector>

#include "workloads/expert_layout.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"

namespace hwlab::test {

inline workloads::WorkloadConfig small_workload(const std::string& preset, int tokens,
                                                std::vector<std::string> more = {}) {
  more.push_back("workload.deployment.tokens_per_gpu=" + std::to_string(tokens));
  more.push_back("workload.placement.history_tokens_per_gpu=" + std::to_string(tokens));
  auto run = workloads::load_run_configs({{config::ConfigKind::workload, preset}}, more);
  return *run.workload;
}

struct Routed {
  workloads::WorkloadConfig workload;
  workloads::TokenRouter router;
  workloads::ExpertLayout layout;
  std::vector<workloads::Routing> tokens;
  explicit Routed(const workloads::WorkloadConfig& w, int layer = 0, int micro_batch = 0)
      : workload(w), router(w), layout(w, router.history_loads(layer)),
        tokens(router.route_micro_batch(layer, micro_batch)) {}
};

}  // namespace hwlab::test

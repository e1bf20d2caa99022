#include "workloads/workload_config.h"

#include <filesystem>

#include <fmt/format.h>

namespace hwlab::workloads {

int64_t ModelSpec::dispatch_bytes_per_token() const {
  if (dispatch_dtype == DispatchDtype::bf16) return 2LL * hidden_size;
  const int64_t scales = (hidden_size + dispatch_scale_block - 1) / dispatch_scale_block;
  return hidden_size + 4 * scales;
}

void WorkloadConfig::check(const config::Checker& c) const {
  const config::Checker m = c.sub("model"), d = c.sub("deployment"), r = c.sub("routing"), p = c.sub("placement");

  m.require(model.num_dense_layers < model.num_layers, "num_dense_layers",
            fmt::format("{} dense layers leave no MoE layer among {} layers", model.num_dense_layers, model.num_layers));
  m.require(model.routed_experts % model.expert_groups == 0, "expert_groups",
            fmt::format("{} routed experts do not split into {} equal groups", model.routed_experts, model.expert_groups));
  m.require(model.max_groups_per_token <= model.expert_groups, "max_groups_per_token",
            fmt::format("a token cannot reach {} of {} groups", model.max_groups_per_token, model.expert_groups));
  m.require(model.experts_per_token % model.max_groups_per_token == 0, "experts_per_token",
            fmt::format("node-limited routing ranks groups by their top experts_per_token / max_groups_per_token "
                        "scores: {} is not a multiple of {}",
                        model.experts_per_token, model.max_groups_per_token));
  const int reachable = model.max_groups_per_token * (model.routed_experts / model.expert_groups);
  m.require(model.experts_per_token <= reachable, "experts_per_token",
            fmt::format("{} experts per token, but {} groups hold only {} experts", model.experts_per_token,
                        model.max_groups_per_token, reachable));

  d.require(deployment.attention_tp * deployment.attention_dp == deployment.gpus(), "attention_dp",
            fmt::format("attention_tp x attention_dp = {} x {} must equal the {} GPUs ({} nodes x {})",
                        deployment.attention_tp, deployment.attention_dp, deployment.gpus(), deployment.nodes,
                        deployment.gpus_per_node));
  d.require(deployment.expert_parallel == deployment.gpus(), "expert_parallel",
            fmt::format("expert parallelism spans all {} GPUs of the deployment, found {}", deployment.gpus(),
                        deployment.expert_parallel));
  if (deployment.shared_expert == SharedExpertMode::local) {
    d.require(deployment.shared_expert_gpus == 0, "shared_expert_gpus",
              "with shared_expert: local every GPU runs the shared expert itself; expected 0 dedicated GPUs");
  } else {
    d.require(model.shared_experts >= 1, "shared_expert", "shared_expert: routed needs a model with a shared expert");
    d.require(deployment.shared_expert_gpus >= 1 && deployment.shared_expert_gpus < deployment.expert_parallel,
              "shared_expert_gpus",
              fmt::format("shared_expert: routed needs between 1 and {} dedicated GPUs, found {}",
                          deployment.expert_parallel - 1, deployment.shared_expert_gpus));
  }
  const int slots = physical_experts(), gpus = deployment.routed_expert_gpus();
  d.require(slots % gpus == 0, "redundant_experts",
            fmt::format("{} routed + {} redundant experts do not spread evenly over {} GPUs", model.routed_experts,
                        deployment.redundant_experts, gpus));
  d.require(deployment.redundant_experts <= model.routed_experts * (slots / gpus), "redundant_experts",
            "more redundant replicas than experts");

  if (routing.popularity == Popularity::trace)
    r.require(!routing.trace_file.empty(), "popularity", "popularity: trace needs a trace_file (a .npy or .csv)");
  else
    r.require(routing.trace_file.empty(), "trace_file", "a trace_file is only read with popularity: trace");
  if (routing.popularity == Popularity::hot_experts)
    r.require(routing.hot_expert_count < model.routed_experts, "hot_expert_count",
              fmt::format("{} hot experts out of {}: at least one must stay cold", routing.hot_expert_count,
                          model.routed_experts));

  if (placement.policy == PlacementPolicy::contiguous)
    p.require(deployment.redundant_experts == 0, "policy",
              "contiguous placement has no redundant replicas: set deployment.redundant_experts to 0 or use EPLB");
  if (placement.policy == PlacementPolicy::eplb_hierarchical) {
    const int nodes_with_experts = gpus / deployment.gpus_per_node;
    p.require(gpus % deployment.gpus_per_node == 0 && model.expert_groups % nodes_with_experts == 0, "policy",
              fmt::format("eplb-hierarchical packs whole expert groups onto nodes: {} groups do not divide over "
                          "{} nodes; use eplb-global or eplb-auto",
                          model.expert_groups, nodes_with_experts));
  }
}

WorkloadConfig read_workload(const config::ConfigNode& tree) {
  config::LocationMap where;
  WorkloadConfig w = config::read_struct<WorkloadConfig>(tree, "workload", &where);
  if (!w.routing.trace_file.empty()) {
    std::filesystem::path trace(w.routing.trace_file);
    const auto it = where.find("workload.routing.trace_file");
    if (trace.is_relative() && it != where.end() && !it->second.file.empty() &&
        it->second.file.rfind("--set", 0) != 0) {
      trace = std::filesystem::path(it->second.file).parent_path() / trace;
    }
    w.routing.trace_file = trace.lexically_normal().string();
  }
  return w;
}

}  // namespace hwlab::workloads

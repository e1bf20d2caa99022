#include "workloads/token_router.h"

#include "workloads/rng.h"
#include "workloads/trace_import.h"

namespace hwlab::workloads {

namespace {
// Stream tags keep the batches of different purposes independent.
constexpr uint64_t kStreamMicroBatch = 0x6d6963726f;  // "micro"
constexpr uint64_t kStreamHistory = 0x68697374;       // "hist"
}  // namespace

RoutingParams routing_params(const WorkloadConfig& w) {
  RoutingParams p;
  p.num_experts = w.model.routed_experts;
  p.top_k = w.model.experts_per_token;
  p.num_groups = w.model.expert_groups;
  p.topk_groups = w.model.max_groups_per_token;
  switch (w.routing.popularity) {
    case Popularity::uniform:
    case Popularity::trace: p.popularity = ExpertPopularity::uniform; break;
    case Popularity::zipf: p.popularity = ExpertPopularity::zipf; break;
    case Popularity::hot_experts: p.popularity = ExpertPopularity::hot_experts; break;
  }
  p.zipf_exponent = w.routing.zipf_exponent;
  p.hot_expert_count = w.routing.hot_expert_count;
  p.hot_expert_weight = w.routing.hot_expert_weight;
  p.shuffle_popularity = w.routing.shuffle_popularity;
  p.seed = w.routing.seed;
  return p;
}

TokenRouter::TokenRouter(const WorkloadConfig& workload) : workload_(workload), params_(routing_params(workload)) {
  if (workload.routing.popularity == Popularity::trace)
    trace_ = load_routing_trace(workload.routing.trace_file, workload.model.routed_experts,
                                workload.model.experts_per_token);
  else
    validate(params_);
}

Routing TokenRouter::generated(int tokens, uint64_t stream) const { return generate_routing(params_, tokens, stream); }

std::vector<Routing> TokenRouter::route_micro_batch(int layer, int micro_batch) const {
  const int gpus = workload_.deployment.gpus(), tokens = workload_.deployment.tokens_per_gpu;
  std::vector<Routing> out;
  out.reserve(static_cast<size_t>(gpus));
  for (int g = 0; g < gpus; ++g) {
    if (!trace_) {
      out.push_back(generated(tokens, hash_seed(kStreamMicroBatch, static_cast<uint64_t>(layer),
                                                static_cast<uint64_t>(micro_batch), static_cast<uint64_t>(g))));
      continue;
    }
    Routing r;
    r.num_tokens = tokens;
    r.top_k = trace_->top_k;
    r.num_experts = trace_->num_experts;
    r.experts.resize(static_cast<size_t>(tokens) * r.top_k);
    r.weights.resize(r.experts.size());
    for (int t = 0; t < tokens; ++t) {
      const int row = static_cast<int>((static_cast<int64_t>(g) * tokens + t) % trace_->num_tokens);
      for (int j = 0; j < r.top_k; ++j) {
        r.experts[static_cast<size_t>(t) * r.top_k + j] = trace_->expert(row, j);
        r.weights[static_cast<size_t>(t) * r.top_k + j] = trace_->weight(row, j);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<double> TokenRouter::history_loads(int layer) const {
  std::vector<double> loads(static_cast<size_t>(workload_.model.routed_experts), 0.0);
  auto add = [&](const Routing& r) {
    const auto l = r.expert_loads();
    for (size_t e = 0; e < loads.size(); ++e) loads[e] += static_cast<double>(l[e]);
  };
  if (trace_) {
    add(*trace_);
    return loads;
  }
  const int gpus = workload_.deployment.gpus();
  for (int g = 0; g < gpus; ++g)
    add(generated(workload_.placement.history_tokens_per_gpu,
                  hash_seed(kStreamHistory, static_cast<uint64_t>(layer), static_cast<uint64_t>(g))));
  return loads;
}

}  // namespace hwlab::workloads

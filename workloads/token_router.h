// The tokens of a deployment and the experts they choose: synthetic (workloads/routing.h) or from a
// routing trace, dealt out to the source GPUs of one micro-batch of one MoE layer.
#pragma once

#include <optional>
#include <vector>

#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::workloads {

class TokenRouter {
 public:
  // Reads the trace once when the workload has one.
  explicit TokenRouter(const WorkloadConfig& workload);

  // One Routing per source GPU, tokens_per_gpu tokens each. Synthetic routing draws an independent
  // stream per (layer, micro-batch, GPU). A trace is dealt out in order: GPU g takes rows
  // [g*T, (g+1)*T) (T = tokens_per_gpu), cycling when the trace is shorter; it is the same for
  // every layer and micro-batch.
  std::vector<Routing> route_micro_batch(int layer, int micro_batch) const;

  // Tokens per logical expert in an earlier batch of history_tokens_per_gpu tokens per GPU: the
  // load that expert placement balances. For a trace: its whole expert histogram.
  std::vector<double> history_loads(int layer) const;

  // Rows of the trace (0 when routing is synthetic).
  int trace_tokens() const { return trace_ ? trace_->num_tokens : 0; }

 private:
  Routing generated(int tokens, uint64_t stream) const;

  WorkloadConfig workload_;
  RoutingParams params_;
  std::optional<Routing> trace_;
};

// The workload's parameters for the synthetic generator.
RoutingParams routing_params(const WorkloadConfig& workload);

}  // namespace hwlab::workloads

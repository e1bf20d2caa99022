// Roofline durations of the compute kernels of a DeepSeek-V3 MoE layer on `sms` SMs of one GPU:
// time = max(FLOPs / (peak x sms/total x efficiency), bytes / (HBM x efficiency)) + launch cost.
// Pure arithmetic (no SystemC), so that it is tested on its own and reused by reports.
#pragma once

#include <cstdint>

#include "common/config/platform.h"
#include "workloads/workload_config.h"

namespace hwlab::emulator {

struct KernelCost {
  double flops = 0;
  double bytes = 0;
};

class ComputeModel {
 public:
  ComputeModel(const config::PlatformConfig& platform, const workloads::WorkloadConfig& workload);

  // Attention (MLA projections, scores, output projection) plus the gate for `tokens` tokens.
  KernelCost attention(int tokens) const;
  // Routed experts of one GPU: `expert_tokens[e]` tokens for each local expert (grouped GEMM:
  // gate/up and down projections in FP8, every local expert's weights read once).
  KernelCost experts(const int* expert_tokens, int experts) const;
  // The shared expert for `tokens` tokens (FP8 weights, same shape as a routed expert).
  KernelCost shared_expert(int tokens) const;

  // Seconds for a kernel of this cost: FP8 tensor-core work (fp8 = true) or BF16, on `sms` SMs.
  double seconds(const KernelCost& cost, bool fp8, int sms) const;

 private:
  const config::PlatformConfig& platform_;
  const workloads::WorkloadConfig& workload_;
};

}  // namespace hwlab::emulator

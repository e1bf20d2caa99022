#include "emulator/gpu/compute_model.h"

#include <algorithm>

namespace hwlab::emulator {

ComputeModel::ComputeModel(const config::PlatformConfig& platform, const workloads::WorkloadConfig& workload)
    : platform_(platform), workload_(workload) {}

KernelCost ComputeModel::attention(int tokens) const {
  const auto& m = workload_.model;
  const auto& a = m.attention;
  const double h = m.hidden_size, heads = a.num_heads;
  const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
  // Projections (MLA): q down/up, kv down (latent + rope key), kv up (keys and values), output.
  const double q_proj = a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank * heads * qk : h * heads * qk;
  const double kv_proj = h * (a.kv_lora_rank + a.qk_rope_head_dim) +
                         a.kv_lora_rank * heads * (a.qk_nope_head_dim + a.v_head_dim);
  const double o_proj = heads * a.v_head_dim * h;
  const double gate = h * m.routed_experts;
  const double weights = q_proj + kv_proj + o_proj + gate;  // parameters, one MAC per token each
  // Scores and weighted values over the context: causal prefill sees half the sequence on average.
  const bool prefill = workload_.deployment.phase == workloads::Phase::prefill;
  const double context = prefill ? workload_.deployment.context_tokens / 2.0 : workload_.deployment.context_tokens;
  const double score_macs = heads * context * (qk + a.v_head_dim);

  KernelCost c;
  c.flops = 2.0 * tokens * (weights + score_macs);
  // BF16 weights read once; activations in and out; in decode the latent KV cache of every sequence
  // (kv_lora_rank + rope dims, BF16) is read once per token.
  c.bytes = 2.0 * weights + 4.0 * tokens * h;
  if (!prefill) c.bytes += 2.0 * tokens * context * (a.kv_lora_rank + a.qk_rope_head_dim);
  return c;
}

KernelCost ComputeModel::experts(const int* expert_tokens, int experts) const {
  const auto& m = workload_.model;
  const double h = m.hidden_size, f = m.expert_intermediate_size;
  KernelCost c;
  for (int e = 0; e < experts; ++e) {
    const double t = expert_tokens[e];
    // gate and up projections (h -> 2f), down projection (f -> h).
    c.flops += 2.0 * t * 3.0 * h * f;
    if (t > 0) c.bytes += 3.0 * h * f;  // FP8 weights of an expert with work
    c.bytes += t * (h + 2.0 * f + 2.0 * h);  // FP8 input, intermediate, BF16 output
  }
  return c;
}

KernelCost ComputeModel::shared_expert(int tokens) const {
  const int t = tokens;
  return experts(&t, workload_.model.shared_experts > 0 ? 1 : 0);
}

double ComputeModel::seconds(const KernelCost& cost, bool fp8, int sms) const {
  const auto& gpu = platform_.gpu;
  const auto& k = platform_.compute;
  if (cost.flops <= 0 && cost.bytes <= 0) return 0.0;
  const double sm_share = std::clamp(static_cast<double>(sms) / gpu.sm_count, 0.0, 1.0);
  const double peak = (fp8 ? gpu.fp8_dense_tflops * k.fp8_gemm_efficiency : gpu.bf16_dense_tflops * k.bf16_efficiency) *
                      1e12 * sm_share;
  // A kernel on few SMs cannot draw the whole chip's HBM bandwidth.
  const double hbm = std::min(gpu.hbm_GBps * k.hbm_efficiency, sms * k.sm_hbm_GBps) * 1e9;
  const double compute_s = peak > 0 ? cost.flops / peak : 0.0;
  const double memory_s = hbm > 0 ? cost.bytes / hbm : 0.0;
  return std::max(compute_s, memory_s) + k.kernel_launch_us * 1e-6;
}

}  // namespace hwlab::emulator

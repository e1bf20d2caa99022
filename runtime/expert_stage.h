// The expert computation of one micro-batch on this GPU, as DeepSeek-V3's MoE FFN: for every local
// expert slot, gather its received tokens, GEMM1 (hidden -> 2 x intermediate, gate and up, FP8 in,
// BF16 out), SwiGLU and FP8 quantisation, GEMM2 (intermediate -> hidden, BF16 out) into the expert
// outputs, then the gate-weighted sum per received row (runtime/moe_exchange.h) that combine returns. With a local shared expert (prefill) every token of this
// GPU's ranks also goes through the shared expert (its output is computed and timed, not added:
// combine checks stay independent of the GEMMs). Slots are processed in chunks of at most
// kGemmChunkRows rows so the scratch stays small; folded ranks reuse one rank's weights. With block
// scaling (DeepSeek-V3's: the dispatch rows' own 1x128 scales for GEMM1, SwiGLU's 1x128 scales for
// GEMM2, seeded 128x128 weight scales) each GEMM's token scales are first laid out as cuBLASLt wants.
#pragma once

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/expert_ops.h"
#include "kernels/gemm_fp8.h"
#include "runtime/moe_state.h"
#include "runtime/sm_partition.h"

namespace hwlab::runtime {

inline constexpr int64_t kGemmChunkRows = 65536;

class ExpertStage {
 public:
  ExpertStage(const MoeState& st, int intermediate, bool shared_local,
              kernels::Fp8Scaling scaling = kernels::Fp8Scaling::tensor);

  void run(MoeState& st, int micro_batch, const Lane& lane);
  // FLOPs of run() for micro-batch m on this GPU (2 m n k per GEMM).
  double flops(const MoeState& st, int micro_batch) const;

  struct Check {
    uint64_t wrong = 0;       // elements off the FP32 reference (GEMM1 and GEMM2 of one slot)
    double rel_err = 0;       // ||D - ref|| / ||ref|| over the checked rows
    int64_t checked = 0;      // elements compared
  };
  // cuBLASLt against the FP32 reference kernel on up to 63 rows of the first non-empty slot
  // (63: with block scaling both the 4-row-multiple GEMM and the padded tail are checked).
  Check check(MoeState& st, int micro_batch, const Lane& lane);

  kernels::Fp8Gemm gemm;

 private:
  void ffn(int64_t rows, const uint8_t* a, int64_t lda, int weight_slot, uint16_t* out, const Lane& lane);
  // gate+up = a . W1[slot]^T for m token rows a (dispatch rows: FP8, then their scales), into g1 rows;
  // out = act . W2[slot]^T for m rows of act (with their scales act_scale, I/128 per row). Block scaling
  // lays the token scales out for cuBLASLt at float `scratch_at` of token_scale_ (m * groups floats).
  void gemm1(int m, const uint8_t* a, int64_t lda, int slot, uint16_t* g1, int64_t scratch_at, cudaStream_t stream);
  void gemm2(int m, const uint8_t* act, const float* act_scale, int slot, uint16_t* out, int64_t scratch_at,
             cudaStream_t stream);
  kernels::CheckScales check_scales(int gemm, const uint8_t* a, int slot) const;
  // D = A . W^T for m token rows, A's scales row-major (a_scale, a_scale_stride floats per row);
  // block scaling runs m rounded up to kernels::kBlockScaledRowMultiple (A, its scales and D need
  // that many rows of slack).
  void scaled_gemm(int m, int n, int k, const uint8_t* a, int64_t lda, const float* a_scale, int64_t a_scale_stride,
                   const uint8_t* w, const float* w_scale, uint16_t* d, int64_t ldd, int64_t scratch_at,
                   cudaStream_t stream);

  int hidden_ = 0, inter_ = 0, slots_ = 0, row_bytes_ = 0;
  bool shared_local_ = false;
  kernels::DeviceArray<uint8_t> w1_, w2_, a_, act_;
  kernels::DeviceArray<uint16_t> g1_, shared_out_;
  kernels::DeviceArray<float> act_scale_;
  kernels::DeviceArray<float> w1_scale_, w2_scale_, token_scale_;  // block scaling only
};

}  // namespace hwlab::runtime

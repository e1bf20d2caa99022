// The expert computation of one micro-batch on this GPU, as DeepSeek-V3's MoE FFN: for every local
// expert slot, gather its received tokens, GEMM1 (hidden -> 2 x intermediate, gate and up, FP8 in,
// BF16 out), SwiGLU and FP8 quantisation, GEMM2 (intermediate -> hidden, BF16 out) into the expert
// outputs, then the gate-weighted sum per received row (runtime/moe_exchange.h) that combine returns. With a local shared expert (prefill) every token of this
// GPU's ranks also goes through the shared expert (its output is computed and timed, not added:
// combine checks stay independent of the GEMMs). Slots are processed in chunks of at most
// kGemmChunkRows rows so the scratch stays small; folded ranks reuse one rank's weights.
#pragma once

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/gemm_fp8.h"
#include "runtime/moe_state.h"
#include "runtime/sm_partition.h"

namespace hwlab::runtime {

inline constexpr int64_t kGemmChunkRows = 65536;

class ExpertStage {
 public:
  ExpertStage(const MoeState& st, int intermediate, bool shared_local);

  void run(MoeState& st, int micro_batch, const Lane& lane);
  // FLOPs of run() for micro-batch m on this GPU (2 m n k per GEMM).
  double flops(const MoeState& st, int micro_batch) const;

  struct Check {
    uint64_t wrong = 0;       // elements off the FP32 reference (GEMM1 and GEMM2 of one slot)
    double rel_err = 0;       // ||D - ref|| / ||ref|| over the checked rows
    int64_t checked = 0;      // elements compared
  };
  // cuBLASLt against the FP32 reference kernel on up to 64 rows of the first non-empty slot.
  Check check(MoeState& st, int micro_batch, const Lane& lane);

  kernels::Fp8Gemm gemm;

 private:
  void ffn(int64_t rows, const uint8_t* a, int64_t lda, int weight_slot, uint16_t* out, const Lane& lane);

  int hidden_ = 0, inter_ = 0, slots_ = 0, row_bytes_ = 0;
  bool shared_local_ = false;
  kernels::DeviceArray<uint8_t> w1_, w2_, a_, act_;
  kernels::DeviceArray<uint16_t> g1_, shared_out_;
  kernels::DeviceArray<float> act_scale_;
};

}  // namespace hwlab::runtime

#include "runtime/expert_stage.h"

#include <algorithm>
#include <cmath>

#include "kernels/expert_ops.h"
#include "runtime/moe_exchange.h"

namespace hwlab::runtime {

using kernels::DeviceArray;

ExpertStage::ExpertStage(const MoeState& st, int intermediate, bool shared_local, kernels::Fp8Scaling scaling)
    : gemm(scaling),
      hidden_(st.mb[0].plan.hidden),
      inter_(intermediate),
      slots_(st.mb[0].plan.slots_per_rank),
      row_bytes_(static_cast<int>(st.mb[0].plan.dispatch_row_bytes)),
      shared_local_(shared_local) {
  const auto H = static_cast<size_t>(hidden_), I = static_cast<size_t>(inter_), L = static_cast<size_t>(slots_);
  w1_ = DeviceArray<uint8_t>(L * 2 * I * H, "expert weights W1 (gate+up, FP8)");
  w2_ = DeviceArray<uint8_t>(L * H * I, "expert weights W2 (down, FP8)");
  kernels::launch_fill_fp8(w1_.get(), static_cast<int64_t>(w1_.bytes()), 0x5eed01u, nullptr);
  kernels::launch_fill_fp8(w2_.get(), static_cast<int64_t>(w2_.bytes()), 0x5eed02u, nullptr);
  // Block-scaled GEMMs run on up to kBlockScaledRowMultiple - 1 rows past a segment: slack rows.
  const auto chunk = static_cast<size_t>(kGemmChunkRows + kernels::kBlockScaledRowMultiple);
  a_ = DeviceArray<uint8_t>(chunk * static_cast<size_t>(row_bytes_), "GEMM input scratch");
  g1_ = DeviceArray<uint16_t>(chunk * 2 * I, "GEMM1 output scratch");
  act_ = DeviceArray<uint8_t>(chunk * I, "activation scratch (FP8)");
  act_scale_ = DeviceArray<float>(chunk * I / 128, "activation scales");
  HWLAB_CUDA_CHECK(cudaMemset(a_.get(), 0, a_.bytes()));  // slack rows: zeros, not NaN codes
  HWLAB_CUDA_CHECK(cudaMemset(act_.get(), 0, act_.bytes()));
  HWLAB_CUDA_CHECK(cudaMemset(act_scale_.get(), 0, act_scale_.bytes()));
  if (shared_local_) shared_out_ = DeviceArray<uint16_t>(chunk * H, "shared expert output scratch");
  if (scaling == kernels::Fp8Scaling::block) {
    w1_scale_ = DeviceArray<float>(L * (2 * I / 128) * (H / 128), "expert weight scales W1 (128x128)");
    w2_scale_ = DeviceArray<float>(L * (H / 128) * (I / 128), "expert weight scales W2 (128x128)");
    kernels::launch_fill_scales(w1_scale_.get(), static_cast<int64_t>(w1_scale_.size()), 0x5ca1e1u, nullptr);
    kernels::launch_fill_scales(w2_scale_.get(), static_cast<int64_t>(w2_scale_.size()), 0x5ca1e2u, nullptr);
    token_scale_ = DeviceArray<float>(chunk * std::max(H, I) / 128, "token scales in cuBLASLt's order");
  }
  HWLAB_CUDA_CHECK(cudaDeviceSynchronize());
}

void ExpertStage::scaled_gemm(int m, int n, int k, const uint8_t* a, int64_t lda, const float* a_scale,
                              int64_t a_scale_stride, const uint8_t* w, const float* w_scale, uint16_t* d,
                              int64_t ldd, int64_t scratch_at, cudaStream_t stream) {
  if (gemm.scaling() == kernels::Fp8Scaling::tensor) return gemm.run(m, n, k, a, lda, w, k, d, ldd, stream);
  // Up to 3 rows past the segment ride along (the next segment's rows, or the buffers' slack): their
  // outputs land on rows that are computed later or never read.
  const int rows = (m + kernels::kBlockScaledRowMultiple - 1) / kernels::kBlockScaledRowMultiple *
                   kernels::kBlockScaledRowMultiple;
  float* scales = token_scale_.get() + scratch_at;
  kernels::launch_transpose_scales(a_scale, a_scale_stride, k / 128, rows, rows, scales, stream);
  gemm.run(rows, n, k, a, lda, w, k, d, ldd, stream, {scales, w_scale});
}

void ExpertStage::gemm1(int m, const uint8_t* a, int64_t lda, int slot, uint16_t* g1, int64_t scratch_at,
                        cudaStream_t stream) {
  const int64_t H = hidden_, I = inter_;
  // The dispatch row's own scales follow its FP8 bytes.
  const float* w_scale = gemm.scaling() == kernels::Fp8Scaling::block ? w1_scale_.get() + slot * (2 * I / 128) * (H / 128)
                                                                      : nullptr;
  scaled_gemm(m, 2 * inter_, hidden_, a, lda, reinterpret_cast<const float*>(a + H), lda / 4,
              w1_.get() + slot * 2 * I * H, w_scale, g1, 2 * I, scratch_at, stream);
}

void ExpertStage::gemm2(int m, const uint8_t* act, const float* act_scale, int slot, uint16_t* out, int64_t scratch_at,
                        cudaStream_t stream) {
  const int64_t H = hidden_, I = inter_;
  const float* w_scale = gemm.scaling() == kernels::Fp8Scaling::block ? w2_scale_.get() + slot * (H / 128) * (I / 128)
                                                                      : nullptr;
  scaled_gemm(m, hidden_, inter_, act, I, act_scale, I / 128, w2_.get() + slot * H * I, w_scale, out, H, scratch_at,
              stream);
}

kernels::CheckScales ExpertStage::check_scales(int which, const uint8_t* a, int slot) const {
  kernels::CheckScales c;
  if (gemm.scaling() != kernels::Fp8Scaling::block) return c;
  const int64_t H = hidden_, I = inter_;
  if (which == 1) {
    c.a = reinterpret_cast<const float*>(a + H);
    c.a_stride = row_bytes_ / 4;
    c.b = w1_scale_.get() + slot * (2 * I / 128) * (H / 128);
  } else {
    c.a = act_scale_.get();
    c.a_stride = I / 128;
    c.b = w2_scale_.get() + slot * (H / 128) * (I / 128);
  }
  return c;
}

void ExpertStage::ffn(int64_t rows, const uint8_t* a, int64_t lda, int weight_slot, uint16_t* out, const Lane& lane) {
  for (int64_t r0 = 0; r0 < rows; r0 += kGemmChunkRows) {
    const int m = static_cast<int>(std::min(kGemmChunkRows, rows - r0));
    gemm1(m, a + r0 * lda, lda, weight_slot, g1_.get(), 0, lane.stream);
    kernels::launch_swiglu_quant(g1_.get(), m, inter_, act_.get(), act_scale_.get(), lane.stream);
    gemm2(m, act_.get(), act_scale_.get(), weight_slot, out, 0, lane.stream);  // `out` holds one chunk
  }
}

void ExpertStage::run(MoeState& st, int m, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  Lane::Use use(lane);
  gemm.set_sm_count_target(lane.sms);
  const int64_t rows = g.expert_rows();
  const auto H = static_cast<int64_t>(hidden_), I = static_cast<int64_t>(inter_);
  size_t slot = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += kGemmChunkRows) {
    const int64_t r1 = std::min(rows, r0 + kGemmChunkRows);
    kernels::launch_gather_rows(s.recv_rows(st.me), s.expert_recv_row.get() + r0, r1 - r0, row_bytes_, a_.get(),
                                lane.stream);
    // GEMM1 per slot segment inside the chunk, one SwiGLU over the chunk, GEMM2 per segment.
    const size_t first_slot = slot;
    for (size_t i = first_slot; i + 1 < g.slot_offset.size() && g.slot_offset[i] < r1; ++i) {
      const int64_t s0 = std::max(g.slot_offset[i], r0), s1 = std::min(g.slot_offset[i + 1], r1);
      if (s1 <= s0) continue;
      gemm1(static_cast<int>(s1 - s0), a_.get() + (s0 - r0) * row_bytes_, row_bytes_,
            static_cast<int>(i % static_cast<size_t>(slots_)), g1_.get() + (s0 - r0) * 2 * I,
            (s0 - r0) * (H / 128), lane.stream);
    }
    kernels::launch_swiglu_quant(g1_.get(), r1 - r0, inter_, act_.get(), act_scale_.get(), lane.stream);
    for (size_t i = first_slot; i + 1 < g.slot_offset.size() && g.slot_offset[i] < r1; ++i) {
      const int64_t s0 = std::max(g.slot_offset[i], r0), s1 = std::min(g.slot_offset[i + 1], r1);
      if (s1 <= s0) continue;
      gemm2(static_cast<int>(s1 - s0), act_.get() + (s0 - r0) * I, act_scale_.get() + (s0 - r0) * (I / 128),
            static_cast<int>(i % static_cast<size_t>(slots_)), s.expert_out.get() + s0 * H,
            (s0 - r0) * (I / 128), lane.stream);
      if (g.slot_offset[i + 1] <= r1) slot = i + 1;
    }
  }
  if (shared_local_)
    for (int lr = 0; lr < g.num_ranks; ++lr) {
      const int64_t T = s.plan.tokens_per_rank;
      ffn(T, s.x.get() + lr * T * row_bytes_, row_bytes_, 0, shared_out_.get(), lane);
    }
  weight_expert_outputs(st, m, lane.sms, lane);
}

double ExpertStage::flops(const MoeState& st, int m) const {
  const GpuExchange& g = st.mine(m);
  double rows = static_cast<double>(g.expert_rows());
  if (shared_local_) rows += static_cast<double>(g.local_tokens());
  return rows * 2.0 * (2.0 * inter_ * hidden_ + static_cast<double>(hidden_) * inter_);
}

ExpertStage::Check ExpertStage::check(MoeState& st, int m, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  Check c;
  size_t slot = 0;
  while (slot + 1 < g.slot_offset.size() && g.slot_offset[slot + 1] == g.slot_offset[slot]) ++slot;
  if (slot + 1 >= g.slot_offset.size()) return c;
  const int rows = static_cast<int>(std::min<int64_t>(63, g.slot_offset[slot + 1] - g.slot_offset[slot]));
  const int64_t H = hidden_, I = inter_;
  const int w = static_cast<int>(slot % static_cast<size_t>(slots_));
  DeviceArray<unsigned long long> wrong(1, "GEMM check counter");
  DeviceArray<double> err(2, "GEMM check error sums");
  Lane::Use use(lane);
  HWLAB_CUDA_CHECK(cudaMemsetAsync(wrong.get(), 0, 8, lane.stream));
  kernels::launch_gather_rows(s.recv_rows(st.me), s.expert_recv_row.get() + g.slot_offset[slot], rows, row_bytes_,
                              a_.get(), lane.stream);
  gemm1(rows, a_.get(), row_bytes_, w, g1_.get(), 0, lane.stream);
  kernels::launch_swiglu_quant(g1_.get(), rows, inter_, act_.get(), act_scale_.get(), lane.stream);
  uint16_t* out2 = s.expert_out.get() + g.slot_offset[slot] * H;
  gemm2(rows, act_.get(), act_scale_.get(), w, out2, 0, lane.stream);
  // Pass 1 measures the reference's size (norm), pass 2 counts elements off it.
  struct Gemm {
    const uint8_t* a;
    int64_t lda;
    const uint8_t* b;
    int64_t ldb;
    const uint16_t* d;
    int64_t ldd;
    int n, k;
    kernels::CheckScales scales;
  };
  const Gemm gemms[2] = {{a_.get(), row_bytes_, w1_.get() + w * 2 * I * H, H, g1_.get(), 2 * I, 2 * inter_, hidden_,
                          check_scales(1, a_.get(), w)},
                         {act_.get(), I, w2_.get() + w * H * I, I, out2, H, hidden_, inter_, check_scales(2, nullptr, w)}};
  double ref2 = 0, diff2 = 0;
  for (const Gemm& x : gemms) {
    HWLAB_CUDA_CHECK(cudaMemsetAsync(err.get(), 0, 16, lane.stream));
    kernels::launch_check_gemm(x.a, x.lda, x.b, x.ldb, x.d, x.ldd, rows, x.n, x.k, 1.0f, 1e30f, wrong.get(), err.get(),
                               lane.stream, x.scales);
    double e[2];
    HWLAB_CUDA_CHECK(cudaStreamSynchronize(lane.stream));
    HWLAB_CUDA_CHECK(cudaMemcpy(e, err.get(), 16, cudaMemcpyDeviceToHost));
    const auto norm = static_cast<float>(std::sqrt(e[0] / (static_cast<double>(rows) * x.n)));
    HWLAB_CUDA_CHECK(cudaMemsetAsync(wrong.get(), 0, 8, lane.stream));
    HWLAB_CUDA_CHECK(cudaMemsetAsync(err.get(), 0, 16, lane.stream));
    kernels::launch_check_gemm(x.a, x.lda, x.b, x.ldb, x.d, x.ldd, rows, x.n, x.k, 1.0f, norm, wrong.get(), err.get(),
                               lane.stream, x.scales);
    HWLAB_CUDA_CHECK(cudaStreamSynchronize(lane.stream));
    unsigned long long bad = 0;
    HWLAB_CUDA_CHECK(cudaMemcpy(&bad, wrong.get(), 8, cudaMemcpyDeviceToHost));
    HWLAB_CUDA_CHECK(cudaMemcpy(e, err.get(), 16, cudaMemcpyDeviceToHost));
    c.wrong += bad;
    ref2 += e[0];
    diff2 += e[1];
    c.checked += static_cast<int64_t>(rows) * x.n;
  }
  c.rel_err = ref2 > 0 ? std::sqrt(diff2 / ref2) : 0;
  return c;
}

}  // namespace hwlab::runtime

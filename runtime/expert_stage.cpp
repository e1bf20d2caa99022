#include "runtime/expert_stage.h"

#include <algorithm>
#include <cmath>

#include "kernels/expert_ops.h"
#include "runtime/moe_exchange.h"

namespace hwlab::runtime {

using kernels::DeviceArray;

ExpertStage::ExpertStage(const MoeState& st, int intermediate, bool shared_local)
    : hidden_(st.mb[0].plan.hidden),
      inter_(intermediate),
      slots_(st.mb[0].plan.slots_per_rank),
      row_bytes_(static_cast<int>(st.mb[0].plan.dispatch_row_bytes)),
      shared_local_(shared_local) {
  const auto H = static_cast<size_t>(hidden_), I = static_cast<size_t>(inter_), L = static_cast<size_t>(slots_);
  w1_ = DeviceArray<uint8_t>(L * 2 * I * H, "expert weights W1 (gate+up, FP8)");
  w2_ = DeviceArray<uint8_t>(L * H * I, "expert weights W2 (down, FP8)");
  kernels::launch_fill_fp8(w1_.get(), static_cast<int64_t>(w1_.bytes()), 0x5eed01u, nullptr);
  kernels::launch_fill_fp8(w2_.get(), static_cast<int64_t>(w2_.bytes()), 0x5eed02u, nullptr);
  const auto chunk = static_cast<size_t>(kGemmChunkRows);
  a_ = DeviceArray<uint8_t>(chunk * static_cast<size_t>(row_bytes_), "GEMM input scratch");
  g1_ = DeviceArray<uint16_t>(chunk * 2 * I, "GEMM1 output scratch");
  act_ = DeviceArray<uint8_t>(chunk * I, "activation scratch (FP8)");
  act_scale_ = DeviceArray<float>(chunk * I / 128, "activation scales");
  if (shared_local_) shared_out_ = DeviceArray<uint16_t>(chunk * H, "shared expert output scratch");
  HWLAB_CUDA_CHECK(cudaDeviceSynchronize());
}

void ExpertStage::ffn(int64_t rows, const uint8_t* a, int64_t lda, int weight_slot, uint16_t* out, const Lane& lane) {
  const auto H = static_cast<size_t>(hidden_), I = static_cast<size_t>(inter_);
  for (int64_t r0 = 0; r0 < rows; r0 += kGemmChunkRows) {
    const int m = static_cast<int>(std::min(kGemmChunkRows, rows - r0));
    gemm.run(m, 2 * inter_, hidden_, a + r0 * lda, lda, w1_.get() + static_cast<size_t>(weight_slot) * 2 * I * H,
             hidden_, g1_.get(), 2 * inter_, lane.stream);
    kernels::launch_swiglu_quant(g1_.get(), m, inter_, act_.get(), act_scale_.get(), lane.stream);
    gemm.run(m, hidden_, inter_, act_.get(), inter_, w2_.get() + static_cast<size_t>(weight_slot) * H * I, inter_,
             out + r0 * static_cast<int64_t>(H), hidden_, lane.stream);
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
      gemm.run(static_cast<int>(s1 - s0), 2 * inter_, hidden_, a_.get() + (s0 - r0) * row_bytes_, row_bytes_,
               w1_.get() + static_cast<int64_t>(i % static_cast<size_t>(slots_)) * 2 * I * H, hidden_,
               g1_.get() + (s0 - r0) * 2 * I, 2 * I, lane.stream);
    }
    kernels::launch_swiglu_quant(g1_.get(), r1 - r0, inter_, act_.get(), act_scale_.get(), lane.stream);
    for (size_t i = first_slot; i + 1 < g.slot_offset.size() && g.slot_offset[i] < r1; ++i) {
      const int64_t s0 = std::max(g.slot_offset[i], r0), s1 = std::min(g.slot_offset[i + 1], r1);
      if (s1 <= s0) continue;
      gemm.run(static_cast<int>(s1 - s0), hidden_, inter_, act_.get() + (s0 - r0) * I, I,
               w2_.get() + static_cast<int64_t>(i % static_cast<size_t>(slots_)) * H * I, I,
               s.expert_out.get() + s0 * H, H, lane.stream);
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
  const int rows = static_cast<int>(std::min<int64_t>(64, g.slot_offset[slot + 1] - g.slot_offset[slot]));
  const int64_t H = hidden_, I = inter_;
  const int w = static_cast<int>(slot % static_cast<size_t>(slots_));
  DeviceArray<unsigned long long> wrong(1, "GEMM check counter");
  DeviceArray<double> err(2, "GEMM check error sums");
  Lane::Use use(lane);
  HWLAB_CUDA_CHECK(cudaMemsetAsync(wrong.get(), 0, 8, lane.stream));
  kernels::launch_gather_rows(s.recv_rows(st.me), s.expert_recv_row.get() + g.slot_offset[slot], rows, row_bytes_,
                              a_.get(), lane.stream);
  gemm.run(rows, 2 * inter_, hidden_, a_.get(), row_bytes_, w1_.get() + w * 2 * I * H, H, g1_.get(), 2 * I, lane.stream);
  kernels::launch_swiglu_quant(g1_.get(), rows, inter_, act_.get(), act_scale_.get(), lane.stream);
  uint16_t* out2 = s.expert_out.get() + g.slot_offset[slot] * H;
  gemm.run(rows, hidden_, inter_, act_.get(), I, w2_.get() + w * H * I, I, out2, H, lane.stream);
  // Pass 1 measures the reference's size (norm), pass 2 counts elements off it.
  struct Gemm {
    const uint8_t* a;
    int64_t lda;
    const uint8_t* b;
    int64_t ldb;
    const uint16_t* d;
    int64_t ldd;
    int n, k;
  };
  const Gemm gemms[2] = {{a_.get(), row_bytes_, w1_.get() + w * 2 * I * H, H, g1_.get(), 2 * I, 2 * inter_, hidden_},
                         {act_.get(), I, w2_.get() + w * H * I, I, out2, H, hidden_, inter_}};
  double ref2 = 0, diff2 = 0;
  for (const Gemm& x : gemms) {
    HWLAB_CUDA_CHECK(cudaMemsetAsync(err.get(), 0, 16, lane.stream));
    kernels::launch_check_gemm(x.a, x.lda, x.b, x.ldb, x.d, x.ldd, rows, x.n, x.k, 1.0f, 1e30f, wrong.get(), err.get(),
                               lane.stream);
    double e[2];
    HWLAB_CUDA_CHECK(cudaStreamSynchronize(lane.stream));
    HWLAB_CUDA_CHECK(cudaMemcpy(e, err.get(), 16, cudaMemcpyDeviceToHost));
    const auto norm = static_cast<float>(std::sqrt(e[0] / (static_cast<double>(rows) * x.n)));
    HWLAB_CUDA_CHECK(cudaMemsetAsync(wrong.get(), 0, 8, lane.stream));
    HWLAB_CUDA_CHECK(cudaMemsetAsync(err.get(), 0, 16, lane.stream));
    kernels::launch_check_gemm(x.a, x.lda, x.b, x.ldb, x.d, x.ldd, rows, x.n, x.k, 1.0f, norm, wrong.get(), err.get(),
                               lane.stream);
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

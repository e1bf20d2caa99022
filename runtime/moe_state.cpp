#include "runtime/moe_state.h"

#include <fmt/format.h>

#include "kernels/checks.h"
#include "kernels/gemm_fp8.h"

namespace hwlab::runtime {

using kernels::DeviceArray;
using kernels::to_device;
using kernels::TokenMeta;

ArenaLayout arena_layout(const ExchangePlan& plan, int gpu) {
  const GpuExchange& g = plan.gpus[static_cast<size_t>(gpu)];
  ArenaLayout l;
  l.recv_rows = 0;
  l.recv_meta = align256(static_cast<size_t>(g.total_recv_rows * plan.dispatch_row_bytes));
  l.staging = l.recv_meta + align256(static_cast<size_t>(g.total_recv_rows) * sizeof(TokenMeta));
  l.combine_pack = l.staging + align256(static_cast<size_t>(g.total_send_rows * plan.combine_row_bytes));
  l.total = l.combine_pack + align256(static_cast<size_t>(g.total_recv_rows * plan.combine_row_bytes));
  return l;
}

namespace {

void upload(MicroBatchState& s, int me, CommMode mode) {
  const ExchangePlan& plan = s.plan;
  const GpuExchange& g = plan.gpus[static_cast<size_t>(me)];
  const std::string tag = fmt::format(" (micro-batch plan, GPU {})", me);
  s.send_x_row = to_device<int32_t>(g.send_x_row, "send rows" + tag);
  s.send_meta = to_device<TokenMeta>(g.send_meta, "send meta" + tag);
  s.recv_expected = to_device<TokenMeta>(g.recv_meta, "expected receive meta" + tag);
  s.recv_dst_rank = to_device<int32_t>(g.recv_dst_rank, "receive ranks" + tag);
  s.expert_recv_row = to_device<int32_t>(g.expert_recv_row, "expert rows" + tag);
  s.expert_src_rank = to_device<int32_t>(g.expert_src_rank, "expert row ranks" + tag);
  s.expert_token = to_device<int32_t>(g.expert_token, "expert row tokens" + tag);
  std::vector<int32_t> local_slot(static_cast<size_t>(g.expert_rows()));
  for (size_t i = 0; i + 1 < g.slot_offset.size(); ++i)
    for (int64_t r = g.slot_offset[i]; r < g.slot_offset[i + 1]; ++r) local_slot[static_cast<size_t>(r)] = static_cast<int32_t>(i);
  s.expert_local_slot = to_device<int32_t>(local_slot, "expert row slots" + tag);
  s.combine_offset = to_device<int64_t>(g.combine_offset, "combine offsets" + tag);
  s.combine_expert_row = to_device<int32_t>(g.combine_expert_row, "combine rows" + tag);
  s.combine_weight = to_device<float>(g.combine_weight, "combine weights" + tag);
  s.reduce_offset = to_device<int64_t>(g.reduce_offset, "reduce offsets" + tag);
  s.reduce_send_row = to_device<int32_t>(g.reduce_send_row, "reduce rows" + tag);
  const CombinePull pull = combine_pull_sources(plan, me);
  s.pull_gpu = to_device<int32_t>(pull.gpu, "combine pull GPUs" + tag);
  s.pull_row = to_device<int32_t>(pull.row, "combine pull rows" + tag);

  s.tokens = g.local_tokens();
  const auto D = static_cast<size_t>(plan.dispatch_row_bytes);
  const auto H = static_cast<size_t>(plan.hidden);
  // Slack rows past the inputs and the expert outputs for the block-scaled GEMMs (kernels/gemm_fp8.h).
  const auto slack = static_cast<size_t>(kernels::kBlockScaledRowMultiple);
  s.x = DeviceArray<uint8_t>((static_cast<size_t>(s.tokens) + slack) * D, "dispatch input tokens");
  HWLAB_CUDA_CHECK(cudaMemset(s.x.get(), 0, s.x.bytes()));
  s.out = DeviceArray<uint16_t>(static_cast<size_t>(s.tokens) * H, "combine output");
  s.expert_out = DeviceArray<uint16_t>((static_cast<size_t>(g.expert_rows()) + slack) * H, "expert outputs");
  if (mode == CommMode::nccl) {
    s.send_pack = DeviceArray<uint8_t>(static_cast<size_t>(g.total_send_rows) * D, "NCCL dispatch send buffer");
    s.send_pack_meta = DeviceArray<TokenMeta>(static_cast<size_t>(g.total_send_rows), "NCCL dispatch send meta");
  }
  kernels::launch_fill_payload(s.x.get(), s.tokens, g.first_rank, plan.tokens_per_rank, plan.hidden,
                               static_cast<int>(plan.dispatch_row_bytes), nullptr);
  HWLAB_CUDA_CHECK(cudaDeviceSynchronize());
}

// Copy-engine transfer lists: dispatch as runs of consecutive token rows (merged where source and
// destination both continue), the meta as one block per peer; combine as one block per peer.
void plan_copies(MicroBatchState& s, int me) {
  const ExchangePlan& plan = s.plan;
  const GpuExchange& g = plan.gpus[static_cast<size_t>(me)];
  const auto D = static_cast<size_t>(plan.dispatch_row_bytes);
  const auto C = static_cast<size_t>(plan.combine_row_bytes);
  for (int q = 0; q < plan.fold.physical_gpus(); ++q) {
    const GpuExchange& dst = plan.gpus[static_cast<size_t>(q)];
    const int64_t first = g.send_offset[static_cast<size_t>(q)], rows = g.send_rows[static_cast<size_t>(q)];
    const int64_t at = dst.recv_offset[static_cast<size_t>(me)];
    for (int64_t i = 0; i < rows; ++i)
      s.ce_dispatch.add(s.recv_rows(q) + static_cast<size_t>(at + i) * D,
                        s.x.get() + static_cast<size_t>(g.send_x_row[static_cast<size_t>(first + i)]) * D, D);
    if (rows > 0)
      s.ce_dispatch.add(s.recv_meta(q) + at, s.send_meta.get() + first, static_cast<size_t>(rows) * sizeof(TokenMeta));
    // Combine: my rows received from q go back into q's staging, where q's send block for me starts.
    const int64_t back = g.recv_rows[static_cast<size_t>(q)];
    if (back > 0)
      s.ce_combine.add(s.staging(q) + static_cast<size_t>(dst.send_offset[static_cast<size_t>(me)]) * (C / 2),
                       s.combine_pack(me) + static_cast<size_t>(g.recv_offset[static_cast<size_t>(q)]) * (C / 2),
                       static_cast<size_t>(back) * C);
  }
}

}  // namespace

MoeState::MoeState(RankSession& s, std::vector<ExchangePlan> plans, CommMode m, CombineMethod combine)
    : session(s), comm(*s.comm), mode(m), combine_method(combine), me(s.rank()), gpus(s.world()) {
  mb.resize(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    MicroBatchState& st = mb[i];
    st.plan = std::move(plans[i]);
    for (int q = 0; q < gpus; ++q) st.layouts.push_back(arena_layout(st.plan, q));
    st.arena = std::make_unique<PeerArena>(comm, st.layouts[static_cast<size_t>(me)].total,
                                           fmt::format("receive/staging buffers of micro-batch {}", i));
    upload(st, me, mode);
    if (mode == CommMode::copy_engine) plan_copies(st, me);
  }
  flags_ = std::make_unique<PeerArena>(comm, 256, "barrier flags");
  HWLAB_CUDA_CHECK(cudaHostAlloc(&timed_out_, sizeof(int), cudaHostAllocMapped));
  *timed_out_ = 0;
}

void MoeState::barrier(cudaStream_t stream) {
  kernels::PeerFlags f;
  for (int q = 0; q < gpus; ++q) f.flags[q] = reinterpret_cast<int*>(flags_->base(q));
  int* device_flag = nullptr;
  HWLAB_CUDA_CHECK(cudaHostGetDevicePointer(&device_flag, timed_out_, 0));
  kernels::launch_peer_barrier(f, me, gpus, ++epoch_, static_cast<uint64_t>(comm.timeout_s()) * 1000000000ull,
                               device_flag, stream);
}

void MoeState::check_barrier() {
  if (*timed_out_ != 0)
    comm.fail(fmt::format("GPU barrier: waited more than {} s for GPU {}", comm.timeout_s(), *timed_out_ - 1));
}

}  // namespace hwlab::runtime

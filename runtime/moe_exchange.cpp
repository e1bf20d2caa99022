#include "runtime/moe_exchange.h"

#include <fmt/format.h>

#include "kernels/checks.h"
#include "runtime/combine_reference.h"

namespace hwlab::runtime {

namespace {

using kernels::TokenMeta;

int all_sms(const MoeState& st) { return st.session.prop.multiProcessorCount; }

kernels::DispatchArgs dispatch_args(MoeState& st, int m, bool to_peers) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  kernels::DispatchArgs a;
  a.src_rows = s.x.get();
  a.src_row_of = s.send_x_row.get();
  a.src_meta = s.send_meta.get();
  a.num_peers = st.gpus;
  a.row_bytes = static_cast<int>(s.plan.dispatch_row_bytes);
  for (int q = 0; q < st.gpus; ++q) {
    const auto i = static_cast<size_t>(q);
    a.block_begin[q] = g.send_offset[i];
    if (to_peers) {
      a.dst_rows[q] = s.recv_rows(q);
      a.dst_meta[q] = s.recv_meta(q);
      a.dst_first_row[q] = s.plan.gpus[i].recv_offset[static_cast<size_t>(st.me)];
    } else {  // pack in send order for NCCL
      a.dst_rows[q] = s.send_pack.get();
      a.dst_meta[q] = s.send_pack_meta.get();
      a.dst_first_row[q] = g.send_offset[i];
    }
  }
  a.block_begin[st.gpus] = g.total_send_rows;
  kernels::plan_warp_roles(g.send_rows.data(), st.gpus, a.warp_begin);
  return a;
}

kernels::CombineArgs combine_args(MoeState& st, int m, bool to_peers) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  kernels::CombineArgs a;
  a.expert_out = s.expert_out.get();
  a.entry_offset = s.combine_offset.get();
  a.expert_row = s.combine_expert_row.get();
  a.weight = s.combine_weight.get();
  a.num_peers = st.gpus;
  a.hidden = s.plan.hidden;
  for (int p = 0; p < st.gpus; ++p) {
    const auto i = static_cast<size_t>(p);
    a.block_begin[p] = g.recv_offset[i];
    if (to_peers) {
      a.dst_rows[p] = s.staging(p);
      a.dst_first_row[p] = s.plan.gpus[i].send_offset[static_cast<size_t>(st.me)];
    } else {  // pack in receive order
      a.dst_rows[p] = s.combine_pack(st.me);
      a.dst_first_row[p] = g.recv_offset[i];
    }
  }
  a.block_begin[st.gpus] = g.total_recv_rows;
  kernels::plan_warp_roles(g.recv_rows.data(), st.gpus, a.warp_begin);
  return a;
}

void nccl_exchange(MoeState& st, const void* send, const std::vector<int64_t>& send_offset,
                   const std::vector<int64_t>& send_rows, void* recv, const std::vector<int64_t>& recv_offset,
                   const std::vector<int64_t>& recv_rows, int64_t row_bytes, cudaStream_t stream, const char* what) {
  Communicator& c = st.comm;
  HWLAB_NCCL(c, ncclGroupStart());
  for (int p = 0; p < st.gpus; ++p) {
    const auto i = static_cast<size_t>(p);
    HWLAB_NCCL(c, ncclSend(static_cast<const uint8_t*>(send) + send_offset[i] * row_bytes,
                           static_cast<size_t>(send_rows[i] * row_bytes), ncclUint8, p, c.get(), stream));
    HWLAB_NCCL(c, ncclRecv(static_cast<uint8_t*>(recv) + recv_offset[i] * row_bytes,
                           static_cast<size_t>(recv_rows[i] * row_bytes), ncclUint8, p, c.get(), stream));
  }
  c.enter(what);
  const ncclResult_t st_end = ncclGroupEnd();
  c.leave();
  c.check(st_end, what);
}

}  // namespace

void dispatch(MoeState& st, int m, int sms, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  Lane::Use use(lane);
  switch (st.mode) {
    case CommMode::sm:
      kernels::launch_dispatch(dispatch_args(st, m, true), sms, lane.stream);
      break;
    case CommMode::nccl: {
      kernels::launch_dispatch(dispatch_args(st, m, false), all_sms(st), lane.stream);
      nccl_exchange(st, s.send_pack.get(), g.send_offset, g.send_rows, s.recv_rows(st.me), g.recv_offset, g.recv_rows,
                    s.plan.dispatch_row_bytes, lane.stream, "ncclGroupEnd (dispatch rows)");
      nccl_exchange(st, s.send_pack_meta.get(), g.send_offset, g.send_rows, s.recv_meta(st.me), g.recv_offset,
                    g.recv_rows, sizeof(TokenMeta), lane.stream, "ncclGroupEnd (dispatch meta)");
      break;
    }
    case CommMode::copy_engine:
      kernels::issue_copy_batch(s.ce_dispatch, lane.stream);
      break;
  }
  st.barrier(lane.stream);
}

void weight_expert_outputs(MoeState& st, int m, int sms, const Lane& lane) {
  Lane::Use use(lane);
  kernels::launch_combine(combine_args(st, m, false), sms, lane.stream);
}

namespace {

// SM push: the weighted rows, contiguous per peer in receive order, into each peer's staging rows.
void push_weighted_rows(MoeState& st, int m, int sms, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  kernels::DispatchArgs a;
  a.src_rows = reinterpret_cast<const uint8_t*>(s.combine_pack(st.me));
  a.num_peers = st.gpus;
  a.row_bytes = static_cast<int>(s.plan.combine_row_bytes);
  for (int p = 0; p < st.gpus; ++p) {
    const auto i = static_cast<size_t>(p);
    a.block_begin[p] = g.recv_offset[i];
    a.dst_rows[p] = reinterpret_cast<uint8_t*>(s.staging(p));
    a.dst_first_row[p] = s.plan.gpus[i].send_offset[static_cast<size_t>(st.me)];
  }
  a.block_begin[st.gpus] = g.total_recv_rows;
  kernels::plan_warp_roles(g.recv_rows.data(), st.gpus, a.warp_begin);
  kernels::launch_dispatch(a, sms, lane.stream);
}

// SM pull: every GPU's weighted rows are complete; each owner reads and sums its tokens' rows where
// they are; then no GPU may rewrite its rows before every owner has read them.
void pull_combine(MoeState& st, int m, int sms, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  st.barrier(lane.stream);
  kernels::PullArgs a;
  for (int q = 0; q < st.gpus; ++q) a.packs[q] = s.combine_pack(q);
  a.offset = s.reduce_offset.get();
  a.src_gpu = s.pull_gpu.get();
  a.src_row = s.pull_row.get();
  a.tokens = s.tokens;
  a.hidden = s.plan.hidden;
  a.out = s.out.get();
  kernels::launch_reduce_pull(a, sms, lane.stream);
  st.barrier(lane.stream);
}

}  // namespace

void combine(MoeState& st, int m, int sms, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  Lane::Use use(lane);
  int reduce_sms = sms;
  switch (st.mode) {
    case CommMode::sm:
      if (st.combine_method == CombineMethod::pull) return pull_combine(st, m, sms, lane);
      push_weighted_rows(st, m, sms, lane);
      break;
    case CommMode::nccl:
      nccl_exchange(st, s.combine_pack(st.me), g.recv_offset, g.recv_rows, s.staging(st.me), g.send_offset, g.send_rows,
                    s.plan.combine_row_bytes, lane.stream, "ncclGroupEnd (combine rows)");
      reduce_sms = all_sms(st);
      break;
    case CommMode::copy_engine:
      kernels::issue_copy_batch(s.ce_combine, lane.stream);
      reduce_sms = all_sms(st);
      break;
  }
  st.barrier(lane.stream);
  kernels::launch_reduce_tokens(s.staging(st.me), s.reduce_offset.get(), s.reduce_send_row.get(), s.tokens,
                                s.plan.hidden, s.out.get(), reduce_sms, lane.stream);
}

ExchangeCheck check_exchange(MoeState& st, int m, int sms, const Lane& lane, const workloads::WorkloadConfig& w,
                             const workloads::ExpertLayout& layout, const std::vector<workloads::Routing>& routing,
                             bool check_combine, int64_t max_checked_tokens) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  const ExchangePlan& plan = s.plan;
  ExchangeCheck result;
  const int L = plan.slots_per_rank;
  kernels::DeviceArray<unsigned long long> counters(1 + static_cast<size_t>(g.num_ranks) * L, "check counters");
  {
    Lane::Use use(lane);
    HWLAB_CUDA_CHECK(cudaMemsetAsync(counters.get(), 0, counters.bytes(), lane.stream));
    kernels::launch_poison(s.recv_rows(st.me), static_cast<uint64_t>(g.total_recv_rows * plan.dispatch_row_bytes),
                           lane.stream);
    kernels::launch_poison(s.recv_meta(st.me), static_cast<uint64_t>(g.total_recv_rows) * sizeof(TokenMeta),
                           lane.stream);
    st.barrier(lane.stream);
  }
  dispatch(st, m, sms, lane);
  {
    Lane::Use use(lane);
    kernels::launch_verify_dispatch(s.recv_rows(st.me), s.recv_meta(st.me), s.recv_expected.get(),
                                    s.recv_dst_rank.get(), g.total_recv_rows, g.first_rank, L, plan.hidden,
                                    static_cast<int>(plan.dispatch_row_bytes), counters.get(), counters.get() + 1,
                                    lane.stream);
  }
  st.comm.sync(lane.stream, "dispatch check");
  st.check_barrier();
  std::vector<unsigned long long> host(counters.size());
  HWLAB_CUDA_CHECK(cudaMemcpy(host.data(), counters.get(), counters.bytes(), cudaMemcpyDeviceToHost));
  result.dispatch_wrong_rows = host[0];
  for (int lr = 0; lr < g.num_ranks; ++lr)
    for (int e = 0; e < L; ++e)
      if (static_cast<int64_t>(host[1 + static_cast<size_t>(lr * L + e)]) !=
          plan.expected_slot_tokens[static_cast<size_t>((g.first_rank + lr) * L + e)])
        ++result.slot_count_wrong;
  if (!check_combine) return result;

  {
    Lane::Use use(lane);
    kernels::launch_fill_expert_output(s.expert_out.get(), g.expert_rows(), s.expert_src_rank.get(),
                                       s.expert_token.get(), s.expert_local_slot.get(), g.first_rank, L, plan.hidden,
                                       lane.stream);
    kernels::launch_combine(combine_args(st, m, false), all_sms(st), lane.stream);
    kernels::launch_poison(s.staging(st.me), static_cast<uint64_t>(g.total_send_rows * plan.combine_row_bytes),
                           lane.stream);
    kernels::launch_poison(s.out.get(), static_cast<uint64_t>(s.tokens) * plan.hidden * 2, lane.stream);
    st.barrier(lane.stream);
  }
  combine(st, m, sms, lane);
  st.comm.sync(lane.stream, "combine check");
  st.check_barrier();
  const int64_t stride = std::max<int64_t>(1, s.tokens / std::max<int64_t>(1, max_checked_tokens));
  std::vector<uint16_t> row(static_cast<size_t>(plan.hidden));
  for (int64_t i = 0; i < s.tokens; i += stride) {
    HWLAB_CUDA_CHECK(cudaMemcpy(row.data(), s.out.get() + i * plan.hidden, row.size() * 2, cudaMemcpyDeviceToHost));
    const int rank = g.first_rank + static_cast<int>(i / plan.tokens_per_rank);
    const int token = static_cast<int>(i % plan.tokens_per_rank);
    const auto want = combine_reference(w, layout, routing[static_cast<size_t>(rank)], rank, token);
    result.combine_wrong += static_cast<uint64_t>(combine_wrong_elements(row.data(), want));
    ++result.combine_checked_tokens;
  }
  return result;
}

uint64_t exchange_hash(MoeState& st, int m, int sms, const Lane& lane) {
  MicroBatchState& s = st.mb[static_cast<size_t>(m)];
  const GpuExchange& g = st.mine(m);
  const ExchangePlan& plan = s.plan;
  kernels::DeviceArray<unsigned long long> hash(1, "hash");
  {
    Lane::Use use(lane);
    HWLAB_CUDA_CHECK(cudaMemsetAsync(hash.get(), 0, 8, lane.stream));
    kernels::launch_poison(s.recv_rows(st.me), static_cast<uint64_t>(g.total_recv_rows * plan.dispatch_row_bytes),
                           lane.stream);
    kernels::launch_poison(s.out.get(), static_cast<uint64_t>(s.tokens) * plan.hidden * 2, lane.stream);
    st.barrier(lane.stream);
  }
  dispatch(st, m, sms, lane);
  {
    Lane::Use use(lane);
    kernels::launch_hash(s.recv_rows(st.me), static_cast<uint64_t>(g.total_recv_rows * plan.dispatch_row_bytes),
                         hash.get(), lane.stream);
    kernels::launch_hash(s.recv_meta(st.me), static_cast<uint64_t>(g.total_recv_rows) * sizeof(TokenMeta), hash.get(),
                         lane.stream);
    kernels::launch_fill_expert_output(s.expert_out.get(), g.expert_rows(), s.expert_src_rank.get(),
                                       s.expert_token.get(), s.expert_local_slot.get(), g.first_rank,
                                       plan.slots_per_rank, plan.hidden, lane.stream);
    kernels::launch_combine(combine_args(st, m, false), all_sms(st), lane.stream);
    st.barrier(lane.stream);
  }
  combine(st, m, sms, lane);
  {
    Lane::Use use(lane);
    kernels::launch_hash(s.out.get(), static_cast<uint64_t>(s.tokens) * plan.hidden * 2, hash.get(), lane.stream);
  }
  st.comm.sync(lane.stream, "repeat-and-hash");
  st.check_barrier();
  unsigned long long h = 0;
  HWLAB_CUDA_CHECK(cudaMemcpy(&h, hash.get(), 8, cudaMemcpyDeviceToHost));
  return h;
}

}  // namespace hwlab::runtime

// The device side of one MoE measurement on this GPU: for each micro-batch its exchange plan
// uploaded, its input tokens (rank- and token-encoded), the receive / staging buffers that peers
// write into (a PeerArena per micro-batch), expert outputs, combine outputs, and the pack buffers of
// the NCCL and copy-engine exchanges; plus the flags of the GPU barrier.
#pragma once

#include <memory>
#include <vector>

#include "kernels/copy_engine.h"
#include "kernels/cuda_check.h"
#include "kernels/exchange.h"
#include "runtime/exchange_plan.h"
#include "runtime/measure.h"
#include "runtime/peer_arena.h"
#include "runtime/rank_session.h"

namespace hwlab::runtime {

// Where GPU q's receive rows, receive meta, combine staging rows and combine's weighted rows (the
// "pack", which the pull combine reads from its peers) sit in its arena.
struct ArenaLayout {
  size_t recv_rows = 0, recv_meta = 0, staging = 0, combine_pack = 0, total = 0;
};
ArenaLayout arena_layout(const ExchangePlan& plan, int gpu);

struct MicroBatchState {
  ExchangePlan plan;
  int64_t tokens = 0;  // local tokens (ranks on this GPU x tokens per rank)

  // The plan on the device (this GPU's part).
  kernels::DeviceArray<int32_t> send_x_row, recv_dst_rank, expert_recv_row, expert_src_rank, expert_token,
      expert_local_slot, combine_expert_row, reduce_send_row, pull_gpu, pull_row;
  kernels::DeviceArray<kernels::TokenMeta> send_meta, recv_expected;
  kernels::DeviceArray<int64_t> combine_offset, reduce_offset;
  kernels::DeviceArray<float> combine_weight;

  kernels::DeviceArray<uint8_t> x;      // [tokens][dispatch row]
  kernels::DeviceArray<uint16_t> out;   // [tokens][hidden] BF16, the combined result
  kernels::DeviceArray<uint16_t> expert_out;  // [expert rows][hidden] BF16
  kernels::DeviceArray<uint8_t> send_pack;    // nccl: dispatch rows in send order
  kernels::DeviceArray<kernels::TokenMeta> send_pack_meta;

  std::unique_ptr<PeerArena> arena;
  std::vector<ArenaLayout> layouts;  // [gpu]
  kernels::CopyBatch ce_dispatch;    // copy-engine dispatch: per-token runs + meta blocks
  kernels::CopyBatch ce_combine;     // copy-engine combine: one block per peer

  uint8_t* recv_rows(int gpu) const { return arena->base(gpu) + layouts[static_cast<size_t>(gpu)].recv_rows; }
  kernels::TokenMeta* recv_meta(int gpu) const {
    return reinterpret_cast<kernels::TokenMeta*>(arena->base(gpu) + layouts[static_cast<size_t>(gpu)].recv_meta);
  }
  uint16_t* staging(int gpu) const {
    return reinterpret_cast<uint16_t*>(arena->base(gpu) + layouts[static_cast<size_t>(gpu)].staging);
  }
  // Combine's weighted rows of GPU `gpu`, in its receive order.
  uint16_t* combine_pack(int gpu) const {
    return reinterpret_cast<uint16_t*>(arena->base(gpu) + layouts[static_cast<size_t>(gpu)].combine_pack);
  }
};

class MoeState {
 public:
  // Collective over the ranks. Allocates everything (an out-of-memory names the buffer and size).
  MoeState(RankSession& session, std::vector<ExchangePlan> plans, CommMode mode,
           CombineMethod combine = CombineMethod::pull);

  RankSession& session;
  Communicator& comm;
  CommMode mode;
  CombineMethod combine_method;  // how the SM exchange combines (push + reduce, or pull)
  int me = 0, gpus = 1;
  std::vector<MicroBatchState> mb;

  // GPU barrier over the exchange's GPUs (peer_barrier.cu), on `stream`; checked for timeout by
  // check_barrier() after the stream has drained.
  void barrier(cudaStream_t stream);
  void check_barrier();

  const GpuExchange& mine(int m) const { return mb[static_cast<size_t>(m)].plan.gpus[static_cast<size_t>(me)]; }

 private:
  std::unique_ptr<PeerArena> flags_;
  int epoch_ = 0;
  int* timed_out_ = nullptr;  // host-mapped
};

}  // namespace hwlab::runtime

// The MoE exchange of one micro-batch as the real GPUs run it: which token rows each physical GPU
// sends where, in which order they land, which expert slot computes each, and how combine returns
// them. Built from the workload's own routing (workloads::TokenRouter, the same generator and seed
// as the emulator) and expert placement (workloads::ExpertLayout, the same replica rule), so the
// measured run moves exactly the token copies the emulator moves.
//
// Rows. A token goes once to every logical rank that hosts one of its experts (a rank with several
// of them gets one copy): one "row" per (source rank s, destination rank d, token t). On physical
// GPU p the rows it sends are ordered (destination GPU q, d, s, t); on GPU q the rows it receives are
// ordered (source GPU p, d, s, t). The block p -> q is therefore contiguous and identically ordered
// on both sides, which is what NCCL's grouped send/recv and the copy engine need, and combine sends
// block q -> p back into p's "staging" rows, which use the send order.
// Expert stage on q: for each local slot (d, e) in order, the received rows that carry it, in
// receive order ("expert rows"). Combine on q: per received row, the weighted sum of its expert rows;
// the reduce on p sums a token's staging rows in ascending d.
// Every inter-node hop (IB, forwarding) is replaced by a direct transfer: see runtime/README.md.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/exchange_types.h"
#include "runtime/fold_map.h"
#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::runtime {

struct GpuExchange {
  int gpu = 0, first_rank = 0, num_ranks = 0;
  std::vector<int64_t> send_offset, send_rows;  // [P]: the rows for destination GPU q
  std::vector<int64_t> recv_offset, recv_rows;  // [P]: the rows from source GPU p
  int64_t total_send_rows = 0, total_recv_rows = 0;

  std::vector<int32_t> send_x_row;           // [send row]: row of this GPU's input (local rank * T + t)
  std::vector<kernels::TokenMeta> send_meta; // [send row]: what the receiver must find with it
  std::vector<kernels::TokenMeta> recv_meta; // [recv row]: what must arrive (the senders' send_meta)
  std::vector<int32_t> recv_dst_rank;        // [recv row]: the logical rank that receives it

  // Expert stage: local slot i = (d - first_rank) * slots_per_rank + e.
  std::vector<int64_t> slot_offset;      // [local slots + 1]: expert-row ranges
  std::vector<int32_t> expert_recv_row;  // [expert row]: the received row it computes
  std::vector<int32_t> expert_src_rank, expert_token;  // [expert row]: whose token it is
  // Combine: received row r sums w * expert row over [combine_offset[r], combine_offset[r + 1]).
  std::vector<int64_t> combine_offset;
  std::vector<int32_t> combine_expert_row;
  std::vector<float> combine_weight;
  // Reduce: local token i = (s - first_rank) * T + t sums staging (send-order) rows
  // [reduce_offset[i], reduce_offset[i + 1]) in ascending destination rank.
  std::vector<int64_t> reduce_offset;
  std::vector<int32_t> reduce_send_row;

  int64_t expert_rows() const { return static_cast<int64_t>(expert_recv_row.size()); }
  int64_t local_tokens() const { return static_cast<int64_t>(reduce_offset.size()) - 1; }
  int64_t remote_send_rows() const { return total_send_rows - send_rows[static_cast<size_t>(gpu)]; }
  int64_t remote_recv_rows() const { return total_recv_rows - recv_rows[static_cast<size_t>(gpu)]; }
};

struct ExchangePlan {
  FoldMap fold;
  int hidden = 0, tokens_per_rank = 0, top_k = 0;
  int slots_per_rank = 0;       // local expert slots of a rank (+1 for a routed shared expert)
  int shared_slot = -1;         // local slot index of the routed shared expert, -1 if local mode
  int64_t dispatch_row_bytes = 0, combine_row_bytes = 0;
  std::vector<GpuExchange> gpus;  // [P]
  // Expected token-expert computations per (logical rank, local slot), from workloads::compute_traffic
  // (independent of this plan's own bookkeeping): what the receivers' counts are checked against.
  std::vector<int64_t> expected_slot_tokens;  // [rank * slots_per_rank + slot]
  std::vector<int64_t> expected_rank_rows;    // [rank]: distinct tokens each rank receives
};

// The plan of one micro-batch. `tokens_by_rank` comes from TokenRouter::route_micro_batch.
// Throws UserError when the model does not fit the payload format (hidden % 128, top-k + shared
// above kMaxTokenSlots) or when a GPU would hold more than 2^31 rows.
ExchangePlan build_exchange_plan(const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                                 const std::vector<workloads::Routing>& tokens_by_rank, int physical_gpus);

// Combine by pulling (the SM exchange's default): the owner reads each weighted row straight from
// the combine pack of the GPU that computed it, instead of that GPU pushing it into the owner's
// staging rows first. Reduce entry k of GPU `me` (its staging row reduce_send_row[k], a row of its
// send block for GPU q) is row plan.gpus[q].recv_offset[me] + (reduce_send_row[k] - send_offset[q])
// of GPU q's combine pack: gpu[k] = q, row[k] = that row.
struct CombinePull {
  std::vector<int32_t> gpu, row;  // [reduce entry]
};
CombinePull combine_pull_sources(const ExchangePlan& plan, int me);

// Device memory one physical GPU needs for a MoE run, by buffer, in bytes (see runtime/README.md).
struct MoeMemory {
  int64_t input = 0, receive = 0, send_pack = 0, expert = 0, combine = 0, plan = 0;
  int64_t total() const { return input + receive + send_pack + expert + combine + plan; }
};
MoeMemory moe_memory(const ExchangePlan& plan, int gpu, bool with_gemm, bool with_pack, int expert_intermediate);

}  // namespace hwlab::runtime

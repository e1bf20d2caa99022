// Dispatch and combine of one micro-batch by each of the three exchanges, and the checks run on
// every measurement.
//  - sm: our kernels write straight into the peers' buffers (kernels/dispatch_sm.cu) with `sms`
//    blocks; the owner-side reduce of combine (kernels/combine_sm.cu) also runs on `sms` blocks.
//  - nccl: the same rows, packed by our kernels (all SMs) into send order, moved by grouped
//    ncclSend/ncclRecv (alltoallv); NCCL returns the weighted rows; the reduce uses all SMs.
//  - copy-engine: dispatch rows go by cudaMemcpyBatchAsync straight from the token array to the peers
//    (no SM touches them); combine's transfer is one DMA copy per peer; the reduce uses all SMs.
// Every variant ends with the GPU barrier, so the time of a call on one GPU covers the slowest GPU.
#pragma once

#include <cstdint>

#include "runtime/moe_state.h"
#include "runtime/sm_partition.h"
#include "workloads/expert_layout.h"
#include "workloads/routing.h"

namespace hwlab::runtime {

void dispatch(MoeState& st, int micro_batch, int sms, const Lane& lane);
// The expert side of combine: per received row, the gate-weighted FP32 sum of its expert outputs on
// this rank, as one BF16 row in receive order (kernels/combine_sm.cu). Part of the expert stage
// (DeepEP's combine likewise takes rows already reduced per rank).
void weight_expert_outputs(MoeState& st, int micro_batch, int sms, const Lane& lane);
// The exchange proper: the weighted rows go back to their owners' staging rows, the GPU barrier,
// and the owner-side sum over ranks (FP32, ascending rank) into the BF16 output.
void combine(MoeState& st, int micro_batch, int sms, const Lane& lane);

struct ExchangeCheck {
  uint64_t dispatch_wrong_rows = 0;   // rows whose payload or meta is not what the plan says
  uint64_t slot_count_wrong = 0;      // expert slots whose received count differs from the routing
  uint64_t combine_wrong = 0;         // output elements off the CPU reference
  int64_t combine_checked_tokens = 0;
  uint64_t total() const { return dispatch_wrong_rows + slot_count_wrong + combine_wrong; }
};

// Poisons the receive side, dispatches, verifies every received row and the per-slot counts; fills
// the expert outputs with known values, combines, and compares sampled tokens (up to
// `max_checked_tokens` per GPU, spread evenly) with combine_reference(). Synchronous.
ExchangeCheck check_exchange(MoeState& st, int micro_batch, int sms, const Lane& lane,
                             const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                             const std::vector<workloads::Routing>& routing, bool check_combine,
                             int64_t max_checked_tokens);

// Hash of the received rows, their meta and the combined output after one dispatch + combine with
// known expert outputs (repeat-and-hash mode).
uint64_t exchange_hash(MoeState& st, int micro_batch, int sms, const Lane& lane);

}  // namespace hwlab::runtime

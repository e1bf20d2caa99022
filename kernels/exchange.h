// Launch wrappers of the MoE exchange kernels (dispatch, combine, reduce, peer barrier). The kernels
// live in dispatch_sm.cu, combine_sm.cu (with the owner-side reduce) and peer_barrier.cu; this header
// is plain C++ so host code built with the C++ compiler can call them.
//
// Channels and warp roles (after DeepEP's intranode kernels): the grid has one block per SM given to
// communication (`num_sms`, the knob); each block is a channel that owns a contiguous slice of every
// destination's rows, so token order is kept per channel. Inside a block, warps are specialised by
// peer GPU: warps [warp_begin[q], warp_begin[q+1]) serve peer q only, sized in proportion to that
// peer's rows so local copies (fast) and NVLink writes (slow) finish together.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/exchange_types.h"

namespace hwlab::kernels {

inline constexpr int kMaxPeers = 8;                 // GPUs of one NVLink domain
inline constexpr int kExchangeThreads = 1024;       // 32 warps per channel
inline constexpr int kExchangeWarps = kExchangeThreads / 32;

// Rows (dispatch payload + TokenMeta) from this GPU to every peer. Row i of the send order (rows of
// peer q are [block_begin[q], block_begin[q+1])) reads source row src_row_of[i] and lands at row
// dst_first_row[q] + (i - block_begin[q]) of peer q's buffers (peer memory or local). With
// src_row_of == nullptr row i reads source row i, and with src_meta == nullptr no meta moves: the
// transfer of combine's weighted rows (contiguous per peer) uses the same kernel.
struct DispatchArgs {
  const uint8_t* src_rows = nullptr;
  const int32_t* src_row_of = nullptr;
  const TokenMeta* src_meta = nullptr;
  int64_t block_begin[kMaxPeers + 1] = {};
  uint8_t* dst_rows[kMaxPeers] = {};
  TokenMeta* dst_meta[kMaxPeers] = {};
  int64_t dst_first_row[kMaxPeers] = {};
  int warp_begin[kMaxPeers + 1] = {};
  int num_peers = 1;
  int row_bytes = 0;  // multiple of 16
};
void launch_dispatch(const DispatchArgs& args, int num_sms, cudaStream_t stream);

// Combine: received row r (rows from peer p are [block_begin[p], block_begin[p+1])) becomes the
// BF16 row sum_e weight[e] * expert_out[expert_row[e]] over e in [entry_offset[r], entry_offset[r+1]),
// accumulated in FP32 in that order, written at row dst_first_row[p] + (r - block_begin[p]) of
// peer p's staging buffer (or a local pack buffer).
struct CombineArgs {
  const uint16_t* expert_out = nullptr;  // BF16 bits [expert rows][hidden]
  const int64_t* entry_offset = nullptr;
  const int32_t* expert_row = nullptr;
  const float* weight = nullptr;
  int64_t block_begin[kMaxPeers + 1] = {};
  uint16_t* dst_rows[kMaxPeers] = {};
  int64_t dst_first_row[kMaxPeers] = {};
  int warp_begin[kMaxPeers + 1] = {};
  int num_peers = 1;
  int hidden = 0;  // multiple of 8
};
void launch_combine(const CombineArgs& args, int num_sms, cudaStream_t stream);

// Splits kExchangeWarps warps over peers in proportion to `rows[q]` (each peer with rows gets one
// at least); fills warp_begin[0..num_peers].
void plan_warp_roles(const int64_t* rows, int num_peers, int* warp_begin);

// out[i] = BF16(sum over staging rows row[k], k in [offset[i], offset[i+1]), in FP32, in order).
void launch_reduce_tokens(const uint16_t* staging, const int64_t* offset, const int32_t* row, int64_t tokens,
                          int hidden, uint16_t* out, int num_sms, cudaStream_t stream);

// Combine by pulling: out[i] = BF16(sum over k in [offset[i], offset[i+1]) of row src_row[k] of
// packs[src_gpu[k]], in FP32, in k order): the sums launch_reduce_tokens makes after the push
// exchange, read straight from each GPU's weighted rows (peer memory over NVLink, or local).
struct PullArgs {
  const uint16_t* packs[kMaxPeers] = {};  // BF16 [rows][hidden] per GPU
  const int64_t* offset = nullptr;
  const int32_t* src_gpu = nullptr;
  const int32_t* src_row = nullptr;
  int64_t tokens = 0;
  int hidden = 0;  // multiple of 8
  uint16_t* out = nullptr;
};
void launch_reduce_pull(const PullArgs& args, int num_sms, cudaStream_t stream);

// All GPUs of the exchange meet: GPU `me` writes `epoch` into every peer's flag slot `me`
// (system-scope release, after a system fence, so its earlier peer writes are visible first) and
// waits until its own slots hold `epoch` from every peer. A wait longer than timeout_ns stores
// (peer + 1) into *timed_out (host-mapped) and returns.
struct PeerFlags {
  int* flags[kMaxPeers] = {};  // GPU q's array of num_peers ints
};
void launch_peer_barrier(const PeerFlags& flags, int me, int num_peers, int epoch, uint64_t timeout_ns,
                         int* timed_out, cudaStream_t stream);

}  // namespace hwlab::kernels

namespace hwlab::kernels {

// A plain contiguous copy with `num_sms` blocks (the SM-side ceiling that dispatch is compared
// with: local HBM or a peer's memory over NVLink).
void launch_copy_sm(void* dst, const void* src, uint64_t bytes, int num_sms, cudaStream_t stream);

}  // namespace hwlab::kernels

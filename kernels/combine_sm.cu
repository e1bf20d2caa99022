// Combine over NVLink peer memory: for each token row this GPU received, the gate-weighted sum of
// its expert outputs on this rank (FP32 accumulation, BF16 result) is written straight into the
// token owner's staging row; the owner then sums its staging rows (reduce_tokens_kernel below). The weighted
// reduction happens where the expert outputs are, so one BF16 row per (token, rank) crosses NVLink.
// The pull combine (reduce_pull_kernel) skips the staging: the owner reads those weighted rows from
// the peers' memory and sums them as they arrive, so each crosses NVLink once and is never stored.
#include <cuda_bf16.h>

#include "kernels/cuda_check.h"
#include "kernels/exchange.h"
#include "kernels/ptx_memory.cuh"

namespace hwlab::kernels {

namespace {

constexpr int kVectorsPerPass = 2;  // 16-byte vectors (8 BF16) per lane at once: 64 registers at 1024 threads

__device__ __forceinline__ void accumulate(float* acc, int4 v, float w) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(h[i]);
    acc[2 * i] = fmaf(w, f.x, acc[2 * i]);
    acc[2 * i + 1] = fmaf(w, f.y, acc[2 * i + 1]);
  }
}

__device__ __forceinline__ int4 to_bf16x8(const float* acc) {
  int4 out;
  __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&out);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2bfloat162_rn(acc[2 * i], acc[2 * i + 1]);
  return out;
}

__global__ void __launch_bounds__(kExchangeThreads, 1) combine_kernel(const CombineArgs a) {
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int p = peer_of_warp(a.warp_begin, a.num_peers, warp);
  if (p < 0) return;
  const int role = warp - a.warp_begin[p], role_warps = a.warp_begin[p + 1] - a.warp_begin[p];
  int64_t begin, end;
  channel_slice(a.block_begin[p], a.block_begin[p + 1] - a.block_begin[p], begin, end);
  const int vectors = a.hidden / 8;
  const int4* expert_out = reinterpret_cast<const int4*>(a.expert_out);
  int4* const dst_rows = reinterpret_cast<int4*>(a.dst_rows[p]);
  const int64_t dst_shift = a.dst_first_row[p] - a.block_begin[p];
  for (int64_t row = begin + role; row < end; row += role_warps) {
    const int64_t e0 = a.entry_offset[row], e1 = a.entry_offset[row + 1];
    int4* const dst = dst_rows + (row + dst_shift) * vectors;
#pragma unroll 1
    for (int base = 0; base < vectors; base += 32 * kVectorsPerPass) {
      float acc[kVectorsPerPass][8] = {};
      for (int64_t e = e0; e < e1; ++e) {
        const float w = a.weight[e];
        const int4* src = expert_out + static_cast<int64_t>(a.expert_row[e]) * vectors;
        int4 v[kVectorsPerPass];
#pragma unroll
        for (int u = 0; u < kVectorsPerPass; ++u) {
          const int i = base + u * 32 + lane;
          if (i < vectors) v[u] = load_stream_16(src + i);
        }
#pragma unroll
        for (int u = 0; u < kVectorsPerPass; ++u) accumulate(acc[u], v[u], w);
      }
#pragma unroll
      for (int u = 0; u < kVectorsPerPass; ++u) {
        const int i = base + u * 32 + lane;
        if (i < vectors) store_16(dst + i, to_bf16x8(acc[u]));
      }
    }
  }
}

// out[t] = BF16(sum of the rows row_of(k), k in [offset[t], offset[t + 1]), in FP32, in k order): one
// warp per token. kRows rows are loaded before any is added, so that rows read over NVLink (the pull
// combine) have more bytes in flight; the additions keep their order, so the sums do not change.
template <int kRows, class RowOf>
__device__ __forceinline__ void reduce_rows(RowOf row_of, const int64_t* offset, int64_t tokens, int vectors,
                                            int4* out) {
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t t = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; t < tokens; t += warps) {
    const int64_t k0 = offset[t], k1 = offset[t + 1];
#pragma unroll 1
    for (int base = 0; base < vectors; base += 32 * kVectorsPerPass) {
      float acc[kVectorsPerPass][8] = {};
      for (int64_t k = k0; k < k1; k += kRows) {
        int4 v[kRows][kVectorsPerPass];
#pragma unroll
        for (int j = 0; j < kRows; ++j) {
          if (k + j >= k1) break;
          const int4* src = row_of(k + j);
#pragma unroll
          for (int u = 0; u < kVectorsPerPass; ++u) {
            const int i = base + u * 32 + lane;
            if (i < vectors) v[j][u] = load_stream_16(src + i);
          }
        }
#pragma unroll
        for (int j = 0; j < kRows; ++j) {
          if (k + j >= k1) break;
#pragma unroll
          for (int u = 0; u < kVectorsPerPass; ++u) accumulate(acc[u], v[j][u], 1.0f);
        }
      }
#pragma unroll
      for (int u = 0; u < kVectorsPerPass; ++u) {
        const int i = base + u * 32 + lane;
        if (i < vectors) store_16(out + t * vectors + i, to_bf16x8(acc[u]));
      }
    }
  }
}

__global__ void __launch_bounds__(kExchangeThreads, 1)
    reduce_tokens_kernel(const int4* staging, const int64_t* offset, const int32_t* rows, int64_t tokens, int vectors,
                         int4* out) {
  reduce_rows<1>([=](int64_t k) { return staging + static_cast<int64_t>(rows[k]) * vectors; }, offset, tokens,
              vectors, out);
}

__global__ void __launch_bounds__(kExchangeThreads, 1) reduce_pull_kernel(const PullArgs a) {
  const int vectors = a.hidden / 8;
  reduce_rows<2>(
      [&a, vectors](int64_t k) {
        return reinterpret_cast<const int4*>(a.packs[a.src_gpu[k]]) + static_cast<int64_t>(a.src_row[k]) * vectors;
      },
      a.offset, a.tokens, vectors, reinterpret_cast<int4*>(a.out));
}

}  // namespace

void launch_combine(const CombineArgs& args, int num_sms, cudaStream_t stream) {
  combine_kernel<<<num_sms, kExchangeThreads, 0, stream>>>(args);
  HWLAB_CUDA_LAUNCHED("combine_kernel");
}

void launch_reduce_pull(const PullArgs& args, int num_sms, cudaStream_t stream) {
  if (args.tokens == 0) return;
  reduce_pull_kernel<<<num_sms, kExchangeThreads, 0, stream>>>(args);
  HWLAB_CUDA_LAUNCHED("reduce_pull_kernel");
}

void launch_reduce_tokens(const uint16_t* staging, const int64_t* offset, const int32_t* row, int64_t tokens,
                          int hidden, uint16_t* out, int num_sms, cudaStream_t stream) {
  if (tokens == 0) return;
  reduce_tokens_kernel<<<num_sms, kExchangeThreads, 0, stream>>>(reinterpret_cast<const int4*>(staging), offset, row,
                                                                 tokens, hidden / 8, reinterpret_cast<int4*>(out));
  HWLAB_CUDA_LAUNCHED("reduce_tokens_kernel");
}

}  // namespace hwlab::kernels

// Dispatch over NVLink peer memory: each token row (FP8 payload + FP32 scales) and its TokenMeta are
// written straight into the receiving GPU's buffer at their final position (the receive layout is
// planned on the host from the routing, as DeepEP's notify step plans it on the GPU), so every byte
// crosses NVLink once and no receiver-side copy is needed.
#include "kernels/cuda_check.h"
#include "kernels/exchange.h"
#include "kernels/ptx_memory.cuh"

namespace hwlab::kernels {

namespace {

// 16-byte vectors each lane keeps in flight: 8 loads are issued before the first store, so a warp
// has 4 KB outstanding and a 32-warp channel 128 KB: enough to cover NVLink write latency.
constexpr int kVectorsInFlight = 8;

__device__ __forceinline__ void copy_row(const int4* src, int4* dst, int vectors, int lane) {
#pragma unroll 1
  for (int base = 0; base < vectors; base += 32 * kVectorsInFlight) {
    int4 v[kVectorsInFlight];
#pragma unroll
    for (int u = 0; u < kVectorsInFlight; ++u) {
      const int i = base + u * 32 + lane;
      if (i < vectors) v[u] = load_stream_16(src + i);
    }
#pragma unroll
    for (int u = 0; u < kVectorsInFlight; ++u) {
      const int i = base + u * 32 + lane;
      if (i < vectors) store_16(dst + i, v[u]);
    }
  }
}

__global__ void __launch_bounds__(kExchangeThreads, 1) dispatch_kernel(const DispatchArgs a) {
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int q = peer_of_warp(a.warp_begin, a.num_peers, warp);
  if (q < 0) return;
  const int role = warp - a.warp_begin[q], role_warps = a.warp_begin[q + 1] - a.warp_begin[q];
  int64_t begin, end;
  channel_slice(a.block_begin[q], a.block_begin[q + 1] - a.block_begin[q], begin, end);
  const int vectors = a.row_bytes / 16;
  uint8_t* const dst_rows = a.dst_rows[q];
  TokenMeta* const dst_meta = a.dst_meta[q];
  const int64_t dst_shift = a.dst_first_row[q] - a.block_begin[q];
  for (int64_t row = begin + role; row < end; row += role_warps) {
    const int64_t src_row = a.src_row_of ? a.src_row_of[row] : row;
    const int64_t dst_row = row + dst_shift;
    copy_row(reinterpret_cast<const int4*>(a.src_rows + src_row * a.row_bytes),
             reinterpret_cast<int4*>(dst_rows + dst_row * a.row_bytes), vectors, lane);
    if (dst_meta && lane < static_cast<int>(sizeof(TokenMeta) / 16))
      store_16(reinterpret_cast<int4*>(dst_meta + dst_row) + lane,
               load_stream_16(reinterpret_cast<const int4*>(a.src_meta + row) + lane));
  }
}

}  // namespace

void plan_warp_roles(const int64_t* rows, int num_peers, int* warp_begin) {
  int64_t total = 0;
  int busy = 0;
  for (int q = 0; q < num_peers; ++q) {
    total += rows[q];
    busy += rows[q] > 0;
  }
  warp_begin[0] = 0;
  // One warp for each peer with rows, the rest in proportion to rows (largest remainders ignored:
  // leftover warps go to the peer with the most rows).
  const int spare = kExchangeWarps - busy;
  int given = 0, largest = 0;
  for (int q = 0; q < num_peers; ++q) {
    int w = 0;
    if (rows[q] > 0) w = 1 + static_cast<int>(total ? spare * rows[q] / total : 0);
    if (rows[q] > rows[largest]) largest = q;
    warp_begin[q + 1] = warp_begin[q] + w;
    given += w;
  }
  const int left = kExchangeWarps - given;
  if (left > 0 && total > 0)
    for (int q = largest + 1; q <= num_peers; ++q) warp_begin[q] += left;
}

void launch_dispatch(const DispatchArgs& args, int num_sms, cudaStream_t stream) {
  dispatch_kernel<<<num_sms, kExchangeThreads, 0, stream>>>(args);
  HWLAB_CUDA_LAUNCHED("dispatch_kernel");
}

}  // namespace hwlab::kernels

namespace hwlab::kernels {

namespace {

__global__ void __launch_bounds__(kExchangeThreads, 1) copy_sm_kernel(const int4* src, int4* dst, uint64_t vectors) {
  const uint64_t stride = static_cast<uint64_t>(gridDim.x) * blockDim.x;
  uint64_t i = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x;
  for (; i + 3 * stride < vectors; i += 4 * stride) {
    int4 v[4];
#pragma unroll
    for (int u = 0; u < 4; ++u) v[u] = load_stream_16(src + i + u * stride);
#pragma unroll
    for (int u = 0; u < 4; ++u) store_16(dst + i + u * stride, v[u]);
  }
  for (; i < vectors; i += stride) store_16(dst + i, load_stream_16(src + i));
}

}  // namespace

void launch_copy_sm(void* dst, const void* src, uint64_t bytes, int num_sms, cudaStream_t stream) {
  copy_sm_kernel<<<num_sms, kExchangeThreads, 0, stream>>>(static_cast<const int4*>(src), static_cast<int4*>(dst),
                                                           bytes / 16);
  HWLAB_CUDA_LAUNCHED("copy_sm_kernel");
}

}  // namespace hwlab::kernels

// The memory instructions the exchange kernels need, named for what they do.
#pragma once

#include <cstdint>

namespace hwlab::kernels {

// 16-byte load of data no one writes during the kernel: read-only path, not kept in L1.
__device__ __forceinline__ int4 load_stream_16(const int4* p) {
  int4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.s32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// 16-byte store that does not allocate in L1 (local HBM or a peer's memory over NVLink).
__device__ __forceinline__ void store_16(int4* p, int4 v) {
  asm volatile("st.global.L1::no_allocate.v4.s32 [%0], {%1, %2, %3, %4};" ::"l"(p), "r"(v.x), "r"(v.y), "r"(v.z),
               "r"(v.w)
               : "memory");
}

__device__ __forceinline__ void store_release_system(int* p, int v) {
  asm volatile("st.release.sys.global.s32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

__device__ __forceinline__ int load_acquire_system(const int* p) {
  int v;
  asm volatile("ld.acquire.sys.global.s32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

__device__ __forceinline__ uint64_t global_timer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Which peer a warp serves: warps [warp_begin[q], warp_begin[q+1]) serve q; -1 for none.
__device__ __forceinline__ int peer_of_warp(const int* warp_begin, int num_peers, int warp) {
  for (int q = 0; q < num_peers; ++q)
    if (warp >= warp_begin[q] && warp < warp_begin[q + 1]) return q;
  return -1;
}

// The channel's slice [begin, end) of a range of n rows starting at first.
__device__ __forceinline__ void channel_slice(int64_t first, int64_t n, int64_t& begin, int64_t& end) {
  begin = first + n * blockIdx.x / gridDim.x;
  end = first + n * (blockIdx.x + 1) / gridDim.x;
}

}  // namespace hwlab::kernels

// The tensor-core probe kernels (mma_probes.h). Fragment layouts: PTX ISA, "Matrix fragments for
// mma.m16n8k32" (8-bit types) and "mma.m16n8k16" (.f16), and the wgmma D fragment of m64nNk32.
// In every layout below g = lane / 4 (the group) and t = lane % 4 (the thread in the group).
#include "kernels/numerics/mma_probes.h"

#include <cuda_fp8.h>
#include <cuda_fp16.h>

#include <cstring>

#include "kernels/numerics/probe_util.h"

namespace hwlab::kernels::numerics {
namespace {

__device__ __forceinline__ uint32_t load4(const uint8_t* p) { return *reinterpret_cast<const uint32_t*>(p); }

// --- mma.sync m16n8k32, FP8 -----------------------------------------------------------------------
// A (16 x 32): a0 = row g, k 4t..4t+3; a1 = row g+8; a2 = row g, k 16+4t..; a3 = row g+8, k 16+4t..
// B (32 x 8, "col"): b0 = column g, k 4t..4t+3; b1 = column g, k 16+4t..  (row g of our B, contiguous)
// C/D (16 x 8): d0, d1 = row g, columns 2t, 2t+1; d2, d3 = row g+8.
template <bool kE5M2>
__global__ void mma_sync_fp8_kernel(const uint8_t* A, const uint8_t* B, const float* C, float* D, int M, int N,
                                    int K) {
  const int warp = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int tiles_n = N / 8;
  const int tm = warp / tiles_n, tn = warp % tiles_n;
  if (tm >= M / 16) return;
  const int g = lane >> 2, t = lane & 3;
  const int r0 = tm * 16 + g, r1 = r0 + 8, bcol = tn * 8 + g, dcol = tn * 8 + 2 * t;
  float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
  if (C) {
    d0 = C[r0 * N + dcol];
    d1 = C[r0 * N + dcol + 1];
    d2 = C[r1 * N + dcol];
    d3 = C[r1 * N + dcol + 1];
  }
  for (int k0 = 0; k0 < K; k0 += 32) {
    const uint32_t a0 = load4(A + static_cast<size_t>(r0) * K + k0 + 4 * t);
    const uint32_t a1 = load4(A + static_cast<size_t>(r1) * K + k0 + 4 * t);
    const uint32_t a2 = load4(A + static_cast<size_t>(r0) * K + k0 + 16 + 4 * t);
    const uint32_t a3 = load4(A + static_cast<size_t>(r1) * K + k0 + 16 + 4 * t);
    const uint32_t b0 = load4(B + static_cast<size_t>(bcol) * K + k0 + 4 * t);
    const uint32_t b1 = load4(B + static_cast<size_t>(bcol) * K + k0 + 16 + 4 * t);
    if constexpr (kE5M2) {
      asm volatile(
          "mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e5m2.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};\n"
          : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
          : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    } else {
      asm volatile(
          "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};\n"
          : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
          : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    }
  }
  D[r0 * N + dcol] = d0;
  D[r0 * N + dcol + 1] = d1;
  D[r1 * N + dcol] = d2;
  D[r1 * N + dcol + 1] = d3;
}

// --- mma.sync m16n8k16, FP16 (FP8 data converted exactly) --------------------------------------------
// A (16 x 16): a0a1 = row g, k 2t, 2t+1; a2a3 = row g+8; a4a5 = row g, k 2t+8, 2t+9; a6a7 = row g+8.
// B (16 x 8): b0b1 = column g, k 2t, 2t+1; b2b3 = column g, k 2t+8, 2t+9.
template <bool kE5M2>
__device__ __forceinline__ uint32_t half2_of(const uint8_t* p) {
  const __nv_fp8_interpretation_t kind = kE5M2 ? __NV_E5M2 : __NV_E4M3;
  const __half_raw lo = __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(p[0]), kind);
  const __half_raw hi = __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(p[1]), kind);
  return static_cast<uint32_t>(lo.x) | (static_cast<uint32_t>(hi.x) << 16);
}

template <bool kE5M2>
__global__ void mma_sync_fp16_kernel(const uint8_t* A, const uint8_t* B, const float* C, float* D, int M, int N,
                                     int K) {
  const int warp = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) / 32);
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int tiles_n = N / 8;
  const int tm = warp / tiles_n, tn = warp % tiles_n;
  if (tm >= M / 16) return;
  const int g = lane >> 2, t = lane & 3;
  const int r0 = tm * 16 + g, r1 = r0 + 8, bcol = tn * 8 + g, dcol = tn * 8 + 2 * t;
  float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
  if (C) {
    d0 = C[r0 * N + dcol];
    d1 = C[r0 * N + dcol + 1];
    d2 = C[r1 * N + dcol];
    d3 = C[r1 * N + dcol + 1];
  }
  for (int k0 = 0; k0 < K; k0 += 16) {
    const uint32_t a0 = half2_of<kE5M2>(A + static_cast<size_t>(r0) * K + k0 + 2 * t);
    const uint32_t a1 = half2_of<kE5M2>(A + static_cast<size_t>(r1) * K + k0 + 2 * t);
    const uint32_t a2 = half2_of<kE5M2>(A + static_cast<size_t>(r0) * K + k0 + 8 + 2 * t);
    const uint32_t a3 = half2_of<kE5M2>(A + static_cast<size_t>(r1) * K + k0 + 8 + 2 * t);
    const uint32_t b0 = half2_of<kE5M2>(B + static_cast<size_t>(bcol) * K + k0 + 2 * t);
    const uint32_t b1 = half2_of<kE5M2>(B + static_cast<size_t>(bcol) * K + k0 + 8 + 2 * t);
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  D[r0 * N + dcol] = d0;
  D[r0 * N + dcol + 1] = d1;
  D[r1 * N + dcol] = d2;
  D[r1 * N + dcol + 1] = d3;
}

// --- wgmma m64n8k32, FP8 --------------------------------------------------------------------------
// Shared memory, no swizzle, both operands K-major: core matrices of 8 rows x 16 bytes (16 elements
// of K), each 128 contiguous bytes. Core (mi, ki) of the 64 x 32 A tile lives at mi * 256 + ki * 128;
// B's 8 x 32 tile at ki * 128. The descriptor's leading byte offset is the stride between cores
// adjacent in K (128), the stride byte offset between 8-row groups (256) -- unless swapped.
// D fragment (64 x 8, f32): warp w, d0, d1 = row 16w + g, columns 2t, 2t+1; d2, d3 = row 16w + g + 8.
__device__ __forceinline__ uint64_t smem_descriptor(const void* p, uint32_t lbo, uint32_t sbo) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(p));
  return static_cast<uint64_t>((addr & 0x3FFFF) >> 4) | (static_cast<uint64_t>(lbo >> 4) << 16) |
         (static_cast<uint64_t>(sbo >> 4) << 32);  // base offset 0, layout type 0: no swizzle
}

template <bool kE5M2>
__device__ __forceinline__ void wgmma_64x8x32(float& d0, float& d1, float& d2, float& d3, uint64_t da, uint64_t db,
                                              int scale_d) {
  if constexpr (kE5M2) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n8k32.f32.e5m2.e5m2 {%0,%1,%2,%3}, %4, %5, p, 1, 1;\n}\n"
        : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
        : "l"(da), "l"(db), "r"(scale_d));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3 {%0,%1,%2,%3}, %4, %5, p, 1, 1;\n}\n"
        : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3)
        : "l"(da), "l"(db), "r"(scale_d));
  }
}

template <bool kE5M2>
__global__ void __launch_bounds__(128) wgmma_fp8_kernel(const uint8_t* A, const uint8_t* B, const float* C, float* D,
                                                        int M, int N, int K, int swap) {
  __shared__ __align__(1024) uint8_t sa[64 * 32];
  __shared__ __align__(1024) uint8_t sb[8 * 32];
  const int tid = static_cast<int>(threadIdx.x);
  const int m0 = static_cast<int>(blockIdx.x) * 64, n0 = static_cast<int>(blockIdx.y) * 8;
  const int w = tid / 32, lane = tid % 32, g = lane >> 2, t = lane & 3;
  const int r0 = m0 + 16 * w + g, r1 = r0 + 8, col = n0 + 2 * t;
  float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
  int scale_d = 0;
  if (C) {
    d0 = C[r0 * N + col];
    d1 = C[r0 * N + col + 1];
    d2 = C[r1 * N + col];
    d3 = C[r1 * N + col + 1];
    scale_d = 1;
  }
  const uint32_t k_stride = 128, group_stride = 256;
  const uint32_t lbo = swap ? group_stride : k_stride, sbo = swap ? k_stride : group_stride;
  for (int k0 = 0; k0 < K; k0 += 32) {
    {  // A: thread -> row tid / 2, 16 bytes of K at (tid % 2) * 16
      const int row = tid / 2, kc = tid % 2;
      const uint4 v = *reinterpret_cast<const uint4*>(A + static_cast<size_t>(m0 + row) * K + k0 + kc * 16);
      *reinterpret_cast<uint4*>(sa + (row / 8) * 256 + kc * 128 + (row % 8) * 16) = v;
    }
    if (tid < 16) {
      const int row = tid / 2, kc = tid % 2;
      const uint4 v = *reinterpret_cast<const uint4*>(B + static_cast<size_t>(n0 + row) * K + k0 + kc * 16);
      *reinterpret_cast<uint4*>(sb + kc * 128 + row * 16) = v;
    }
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
    wgmma_64x8x32<kE5M2>(d0, d1, d2, d3, smem_descriptor(sa, lbo, sbo), smem_descriptor(sb, lbo, sbo), scale_d);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    scale_d = 1;
    __syncthreads();
  }
  D[r0 * N + col] = d0;
  D[r0 * N + col + 1] = d1;
  D[r1 * N + col] = d2;
  D[r1 * N + col + 1] = d3;
}

int warps_grid(int m, int n) { return (m / 16) * (n / 8); }

}  // namespace

void mma_sync_fp8(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k) {
  const int warps = warps_grid(m, n);
  const int blocks = (warps + 3) / 4;
  if (e5m2) {
    mma_sync_fp8_kernel<true><<<blocks, 128>>>(a, b, c, d, m, n, k);
  } else {
    mma_sync_fp8_kernel<false><<<blocks, 128>>>(a, b, c, d, m, n, k);
  }
  PROBE_LAUNCHED("mma_sync_fp8");
}

void mma_sync_fp16(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k) {
  const int warps = warps_grid(m, n);
  const int blocks = (warps + 3) / 4;
  if (e5m2) {
    mma_sync_fp16_kernel<true><<<blocks, 128>>>(a, b, c, d, m, n, k);
  } else {
    mma_sync_fp16_kernel<false><<<blocks, 128>>>(a, b, c, d, m, n, k);
  }
  PROBE_LAUNCHED("mma_sync_fp16");
}

void wgmma_fp8(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k,
               bool swap_lbo_sbo) {
  const dim3 grid(static_cast<unsigned>(m / 64), static_cast<unsigned>(n / 8));
  if (e5m2) {
    wgmma_fp8_kernel<true><<<grid, 128>>>(a, b, c, d, m, n, k, swap_lbo_sbo ? 1 : 0);
  } else {
    wgmma_fp8_kernel<false><<<grid, 128>>>(a, b, c, d, m, n, k, swap_lbo_sbo ? 1 : 0);
  }
  PROBE_LAUNCHED("wgmma_fp8");
}

}  // namespace hwlab::kernels::numerics

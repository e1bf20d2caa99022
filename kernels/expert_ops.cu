#include "kernels/expert_ops.h"

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "kernels/cuda_check.h"
#include "kernels/payload.h"
#include "kernels/ptx_memory.cuh"

namespace hwlab::kernels {

namespace {

__global__ void gather_rows_kernel(const int4* rows, const int32_t* row_of, int64_t num_rows, int vectors, int4* out) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32; r < num_rows; r += warps) {
    const int4* src = rows + static_cast<int64_t>(row_of[r]) * vectors;
    int4* dst = out + r * vectors;
    for (int i = lane; i < vectors; i += 32) dst[i] = load_stream_16(src + i);
  }
}

// One warp per (row, 128-channel block): 4 channels per lane.
__global__ void swiglu_quant_kernel(const __nv_bfloat16* gate_up, int64_t rows, int inter, __nv_fp8_e4m3* act,
                                    float* scales) {
  const int lane = threadIdx.x % 32;
  const int blocks_per_row = inter / 128;
  const int64_t work = rows * blocks_per_row;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t w = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32; w < work; w += warps) {
    const int64_t r = w / blocks_per_row;
    const int c0 = static_cast<int>(w % blocks_per_row) * 128 + lane * 4;
    const __nv_bfloat16* g = gate_up + r * 2 * inter;
    float v[4];
    float amax = 0.f;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float gate = __bfloat162float(g[c0 + i]), up = __bfloat162float(g[inter + c0 + i]);
      v[i] = gate / (1.f + __expf(-gate)) * up;
      amax = fmaxf(amax, fabsf(v[i]));
    }
    for (int off = 16; off > 0; off /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, off));
    const float scale = amax > 0.f ? amax / 448.f : 1.f;
#pragma unroll
    for (int i = 0; i < 4; ++i) act[r * inter + c0 + i] = __nv_fp8_e4m3(v[i] / scale);
    if (lane == 0) scales[r * blocks_per_row + c0 / 128] = scale;
  }
}

__global__ void fill_fp8_kernel(uint32_t* data, int64_t words, uint32_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < words;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    data[i] = payload_fp8_word(seed ^ static_cast<uint32_t>(i >> 20), static_cast<int>(i & 0xfffff));
}

__device__ __forceinline__ float fp8_value(uint8_t bits) {
  __nv_fp8_e4m3 v;
  v.__x = bits;
  return static_cast<float>(v);
}

// One thread per (m, n): plain FP32 dot product.
__global__ void check_gemm_kernel(const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb,
                                  const __nv_bfloat16* d, int64_t ldd, int rows, int n, int k, float scale, float norm,
                                  unsigned long long* wrong, double* err, CheckScales sc) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= static_cast<int64_t>(rows) * n) return;
  const int m = static_cast<int>(i / n), col = static_cast<int>(i % n);
  float ref = 0.f, squares = 0.f;  // the result, and the sum of its terms' squares
  const int groups = k / 128;
  for (int g = 0; g < (sc.a ? groups : 1); ++g) {
    const float s = sc.a ? sc.a[m * sc.a_stride + g] * sc.b[(col / 128) * groups + g] : 1.f;
    float part = 0.f;
    for (int kk = sc.a ? g * 128 : 0; kk < (sc.a ? (g + 1) * 128 : k); ++kk) {
      const float t = fp8_value(a[m * lda + kk]) * fp8_value(b[col * ldb + kk]);
      part += t;
      squares = fmaf(t * s, t * s, squares);
    }
    ref = fmaf(part, s, ref);
  }
  ref *= scale;
  const float got = __bfloat162float(d[m * ldd + col]);
  const float diff = got - ref;
  // BF16 rounding (relative), plus what the tensor cores' ~13-bit block accumulation (isa/numerics
  // h100-fp8) can lose where the terms cancel: a small part of the terms' own magnitude.
  const float tolerance = 0.02f * fabsf(ref) + 1e-3f * norm + 0x1p-9f * scale * sqrtf(squares);
  if (!(fabsf(diff) <= tolerance)) atomicAdd(wrong, 1ULL);
  atomicAdd(err, static_cast<double>(ref) * ref);
  atomicAdd(err + 1, static_cast<double>(diff) * diff);
}

__global__ void transpose_scales_kernel(const float* first, int64_t row_stride, int groups, int64_t m,
                                        int64_t out_stride, float* out) {
  const int64_t work = m * groups;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < work;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t g = i / m, row = i % m;  // consecutive threads write consecutive outputs
    out[g * out_stride + row] = first[row * row_stride + g];
  }
}

__global__ void fill_scales_kernel(float* data, int64_t count, uint32_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t h = seed ^ static_cast<uint32_t>(i * 0x9e3779b9u);
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    data[i] = 0.5f + 1.5f * static_cast<float>(h >> 8) / 16777216.f;  // [0.5, 2)
  }
}

}  // namespace

void launch_transpose_scales(const float* first, int64_t row_stride, int groups, int64_t m, int64_t out_stride,
                             float* out, cudaStream_t stream) {
  if (m == 0) return;
  transpose_scales_kernel<<<256, 256, 0, stream>>>(first, row_stride, groups, m, out_stride, out);
  HWLAB_CUDA_LAUNCHED("transpose_scales_kernel");
}

void launch_fill_scales(float* data, int64_t count, uint32_t seed, cudaStream_t stream) {
  fill_scales_kernel<<<256, 256, 0, stream>>>(data, count, seed);
  HWLAB_CUDA_LAUNCHED("fill_scales_kernel");
}

void launch_gather_rows(const uint8_t* rows, const int32_t* row_of, int64_t num_rows, int row_bytes, uint8_t* out,
                        cudaStream_t stream) {
  if (num_rows == 0) return;
  gather_rows_kernel<<<1024, 512, 0, stream>>>(reinterpret_cast<const int4*>(rows), row_of, num_rows, row_bytes / 16,
                                               reinterpret_cast<int4*>(out));
  HWLAB_CUDA_LAUNCHED("gather_rows_kernel");
}

void launch_swiglu_quant(const uint16_t* gate_up, int64_t rows, int inter, uint8_t* act, float* scales,
                         cudaStream_t stream) {
  if (rows == 0) return;
  swiglu_quant_kernel<<<2048, 256, 0, stream>>>(reinterpret_cast<const __nv_bfloat16*>(gate_up), rows, inter,
                                                reinterpret_cast<__nv_fp8_e4m3*>(act), scales);
  HWLAB_CUDA_LAUNCHED("swiglu_quant_kernel");
}

void launch_fill_fp8(uint8_t* data, int64_t bytes, uint32_t seed, cudaStream_t stream) {
  fill_fp8_kernel<<<4096, 256, 0, stream>>>(reinterpret_cast<uint32_t*>(data), bytes / 4, seed);
  HWLAB_CUDA_LAUNCHED("fill_fp8_kernel");
}

void launch_check_gemm(const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, const uint16_t* d, int64_t ldd,
                       int rows, int n, int k, float scale, float norm, unsigned long long* wrong, double* err,
                       cudaStream_t stream, CheckScales scales) {
  const int64_t work = static_cast<int64_t>(rows) * n;
  if (work == 0) return;
  check_gemm_kernel<<<static_cast<unsigned>((work + 255) / 256), 256, 0, stream>>>(
      a, lda, b, ldb, reinterpret_cast<const __nv_bfloat16*>(d), ldd, rows, n, k, scale, norm, wrong, err, scales);
  HWLAB_CUDA_LAUNCHED("check_gemm_kernel");
}

}  // namespace hwlab::kernels

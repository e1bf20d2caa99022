// The element-wise steps of the expert stage around the cuBLASLt GEMMs (kernels/gemm_fp8.h):
// gather a slot's received rows into one matrix, SwiGLU + FP8 quantisation between the two GEMMs,
// weight initialisation, and a plain FP32 reference GEMM that checks cuBLASLt's result.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace hwlab::kernels {

// out[i] = rows[row_of[i]] for i < num_rows (row_bytes each, a multiple of 16).
void launch_gather_rows(const uint8_t* rows, const int32_t* row_of, int64_t num_rows, int row_bytes, uint8_t* out,
                        cudaStream_t stream);

// gate_up: BF16 [rows][2 * inter] (gate in the first half, up in the second). act[r][c] =
// FP8 E4M3(silu(gate) * up / scale) with one FP32 scale per 128 channels (amax / 448) in
// scales[r][c / 128].
void launch_swiglu_quant(const uint16_t* gate_up, int64_t rows, int inter, uint8_t* act, float* scales,
                         cudaStream_t stream);

// Finite FP8 E4M3 values in [2^-3, 2^3) (the payload encoding), seeded.
void launch_fill_fp8(uint8_t* data, int64_t bytes, uint32_t seed, cudaStream_t stream);

// out[g * out_stride + i] = first[i * row_stride + g] for g < groups, i < m (strides in floats): 1x128
// scales of m token rows (inside the dispatch rows, or a row-major [rows][groups] matrix) in the order
// cuBLASLt's VEC128_32F wants them (out_stride = the GEMM's m).
void launch_transpose_scales(const float* first, int64_t row_stride, int groups, int64_t m, int64_t out_stride,
                             float* out, cudaStream_t stream);

// Seeded FP32 scales in [0.5, 2): the 128x128 block scales of the expert weights.
void launch_fill_scales(float* data, int64_t count, uint32_t seed, cudaStream_t stream);

// Block scales for the reference: a[m * a_stride + g] per token row and 128-group, b[(n / 128) *
// (k / 128) + g] per weight block; none = per-tensor.
struct CheckScales {
  const float* a = nullptr;
  int64_t a_stride = 0;
  const float* b = nullptr;
};

// ref[m][n] = scale * sum_k fp8(a[m][k]) * fp8(b[n][k]) in FP32 (with block scales: each 128-group's
// partial sum times its two scales), for m < rows (A row-major with leading dimension lda bytes, B
// [n][k] row-major with ldb); then counts elements of d (BF16, ldd) with |d - ref| > 0.02 |ref| +
// 1e-3 * norm + 2^-9 * ||terms||_2 (the terms a*b*scales of that element: room for the tensor
// cores' block accumulation where terms cancel) into *wrong, and adds sum(ref^2) and sum((d-ref)^2)
// into err[0], err[1].
void launch_check_gemm(const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, const uint16_t* d, int64_t ldd,
                       int rows, int n, int k, float scale, float norm, unsigned long long* wrong, double* err,
                       cudaStream_t stream, CheckScales scales = {});

}  // namespace hwlab::kernels

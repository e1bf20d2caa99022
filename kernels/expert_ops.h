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

// ref[m][n] = scale * sum_k fp8(a[m][k]) * fp8(b[n][k]) in FP32, for m < rows (A row-major with
// leading dimension lda bytes, B [n][k] row-major with ldb); then counts elements of d (BF16, ldd)
// with |d - ref| > 0.02 |ref| + 1e-3 * norm into *wrong, and adds sum(ref^2) and sum((d-ref)^2)
// into err[0], err[1].
void launch_check_gemm(const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, const uint16_t* d, int64_t ldd,
                       int rows, int n, int k, float scale, float norm, unsigned long long* wrong, double* err,
                       cudaStream_t stream);

}  // namespace hwlab::kernels

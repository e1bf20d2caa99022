// Tensor-core probe kernels: each computes D = A * B^T (+ C) for FP8 codes with one MMA path and
// returns FP32 bits. A is M x K, B is N x K (row j of B makes output column j), C and D M x N, all
// row-major. C, when given, is the accumulator the MMA chain starts from; without it the chain
// starts at +0 (mma.sync) or with scale-d = 0 (wgmma).
#pragma once

#include <cstdint>

namespace hwlab::kernels::numerics {

// mma.sync.aligned.m16n8k32.row.col.f32.{e4m3|e5m2}.{e4m3|e5m2}.f32, chained over K in registers.
// M % 16 == 0, N % 8 == 0, K % 32 == 0.
void mma_sync_fp8(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k);

// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 on the FP8 data converted to FP16 (exact).
// M % 16 == 0, N % 8 == 0, K % 16 == 0.
void mma_sync_fp16(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k);

// wgmma.mma_async.sync.aligned.m64n8k32.f32.{e4m3|e5m2}: one warpgroup per 64 x 8 output tile, A and B
// staged in shared memory without swizzle, one wgmma per 32 elements of K. swap_lbo_sbo exchanges the
// descriptor's two byte offsets (the probe tries both and keeps the one that computes a product).
// M % 64 == 0, N % 8 == 0, K % 32 == 0.
void wgmma_fp8(bool e5m2, const uint8_t* a, const uint8_t* b, const float* c, float* d, int m, int n, int k,
               bool swap_lbo_sbo);

}  // namespace hwlab::kernels::numerics

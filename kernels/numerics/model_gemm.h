// The block-FMA models of isa/numerics on CUDA cores, for full-size GEMMs: the same bits as the CPU
// models (gemm() with per-tensor scales), checked against them by `hwlab fp8 gemm-check`.
//
// Supported: truncating models with C aligned with the products and the operands' exponent sum as
// the product exponent (h100-fp8, ada-fp8, acc-10 .. acc-16, their align=floor variants), and the
// sequential FP32 FMA (fp32-fma, fp32-acc). Finite inputs only (no NaN or infinity codes).
//
// How a block is computed exactly in FP32 arithmetic: E = max over the block of ea + eb (DPX
// __viaddmax_s16x2, two outputs per instruction) and C's exponent; with u = 2^(E - F) and the bias
// B = 2^23 * u, the sum t + B (t = a*b, exact) lies in a binade whose spacing is u, so adding with
// rounding toward zero keeps exactly the bits of t at and above u: (t +_rz copysign(B, t)) -
// copysign(B, t) = trunc(t / u) * u (toward minus infinity: t +_rd 1.5B - 1.5B). The block's terms
// sum exactly while (block + 1) * 2^(F + 2) <= 2^24, hence F <= 16; the block result is then cut to
// result_fraction_bits by masking the FP32 fraction (truncation toward zero).
#pragma once

#include <cstdint>
#include <string>

namespace hwlab::kernels::numerics {

struct ModelGemmConfig {
  std::string preset;        // name as hwlab's presets call it
  int products_per_block = 32;  // 32 or 16; 1 with fma
  int alignment_fraction_bits = 13;
  int result_fraction_bits = 13;
  bool floor = false;        // two's-complement truncation (align=floor)
  bool fma = false;          // fp32-fma: one fmaf per product
};

// Fills `out` for a preset name; false when the CUDA model does not implement it.
bool model_gemm_config(const std::string& preset, ModelGemmConfig& out);

// out (M x N, row-major FP32) = the model's GEMM of A (M x K codes) and B (N x K codes), promoted to
// an FP32 accumulator every `promotion` elements of K (0: never) with acc = fmaf(scale, P, acc).
// M, N multiples of 64; K and promotion multiples of 32. Device pointers; asynchronous.
void model_gemm(const ModelGemmConfig& config, bool e5m2, const uint8_t* a, const uint8_t* b, float* out, int m,
                int n, int k, int promotion, float scale);

}  // namespace hwlab::kernels::numerics

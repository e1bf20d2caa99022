// FP8 GEMM through a block-FMA model, with the promotion and scaling schemes of DeepSeek-V3.
//
// out[i][j] = sum_k A[i][k] * B[j][k] * scale_a(i,k) * scale_b(j,k), computed as the GPU would:
//
//   acc = +0                                      (FP32 register on the CUDA cores)
//   for each promotion interval [k0, k0 + N_C) of K (N_C = promotion_interval; 0: all of K):
//     P = MMA chain over the interval, starting from C = +0: blocks of products_per_block products,
//         each block's D the next block's C (BlockFmaModel, dot());
//         with group_scaled_mma each product is multiplied by its scales inside the block
//     acc = fmaf(fp32(scale_a * scale_b), P, acc)   (DeepGEMM's promotion: the scale product is an
//                                                    FP32 multiply, the update an FFMA)
//         or, with group_scaled_mma, acc = acc + P  (FP32 add, nearest even)
//
// Scaling granularities (DeepSeek-V3 §3.3; OCP MX v1.0):
//   per_tensor  one FP32 scale for A and one for B
//   deepseek    A: one FP32 scale per row per 128 elements of K (1x128 tiles);
//               B: one FP32 scale per 128x128 block (128 rows of B, i.e. output columns, x 128 of K)
//   mx          UE8M0 scales per 32 consecutive elements of K, for every row of A and of B
// Without group_scaled_mma each promotion interval must lie inside one scale group (N_C divides
// 128 for deepseek, 32 for mx), and N_C = 0 is only meaningful with per-tensor scales.
//
// Every output is computed on its own, so results do not depend on the number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"

namespace hwlab::numerics {

enum class ScaleGranularity : uint8_t { per_tensor, deepseek, mx };

inline constexpr int kDeepSeekTile = 128;  // 1x128 activation tiles, 128x128 weight blocks
inline constexpr int kMxBlock = 32;        // MX: 32 elements per UE8M0 scale

struct GemmScales {
  ScaleGranularity granularity = ScaleGranularity::per_tensor;
  // per_tensor: {scale_a} and {scale_b}; deepseek: a is M x ceil(K/128), b is ceil(N/128) x
  // ceil(K/128), both row-major.
  std::vector<float> a{1.0f};
  std::vector<float> b{1.0f};
  // mx: a is M x ceil(K/32), b is N x ceil(K/32) UE8M0 codes, row-major.
  std::vector<uint8_t> a_ue8m0;
  std::vector<uint8_t> b_ue8m0;
};

struct GemmProblem {
  int m = 0;
  int n = 0;
  int k = 0;
  Format format = Format::e4m3;  // e4m3 or e5m2
  std::vector<uint8_t> a;        // M x K codes, row-major
  std::vector<uint8_t> b;        // N x K codes, row-major (row j of B makes output column j)
  GemmScales scales;
};

struct GemmOptions {
  int promotion_interval = 128;   // N_C, elements of K; 0: never promote (one interval)
  bool group_scaled_mma = false;  // scales applied to each product inside the block FMA
  int threads = 0;                // 0: oneTBB's default
  bool reference_kernel = false;  // use the general (slow) kernel even where the fast one applies
};

// Empty when the problem can be run, else what is wrong with it.
std::string check_gemm(const BlockFmaModel& model, const GemmProblem& problem,
                       const GemmOptions& options);

// M x N outputs, row-major. Throws hwlab::UserError when check_gemm reports a problem.
std::vector<float> gemm(const BlockFmaModel& model, const GemmProblem& problem,
                        const GemmOptions& options);

// Whether gemm() takes its fast kernel for this configuration (for benchmarks and tests).
bool gemm_has_fast_kernel(const BlockFmaModel& model, const GemmProblem& problem,
                          const GemmOptions& options);

}  // namespace hwlab::numerics

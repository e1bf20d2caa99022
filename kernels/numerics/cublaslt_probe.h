// cuBLASLt FP8 GEMMs for the probes and for the native-rate reference: D = alpha * s_a * s_b * A B^T
// + beta * C with A (M x K) and B (N x K) E4M3 codes, K contiguous (cuBLASLt's "TN" layout: the only
// one FP8 allows), FP32 out. Row-major outputs here; cuBLASLt's column-major is converted inside.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hwlab::kernels::numerics {

struct LtGemm {
  int m = 0, n = 0, k = 0;
  bool fast_accum = false;
  bool e5m2_b = false;              // B in E5M2 (A stays E4M3: cuBLASLt has no E5M2 x E5M2)
  const uint8_t* a = nullptr;       // device, M x K
  const uint8_t* b = nullptr;       // device, N x K
  // Scales: per-tensor (one device float each), or block scales (device arrays): A per 1 x 128
  // (VEC128_32F), B per 128 x 128 (BLK128x128_32F), raw order as given.
  bool block_scaled = false;
  const float* scale_a = nullptr;
  const float* scale_b = nullptr;
  float alpha = 1.0f, beta = 0.0f;
  const float* c_rowmajor = nullptr;  // host, M x N, used when beta != 0
};

struct LtResult {
  bool ok = false;
  std::string error;                 // why not, when !ok
  std::string algo;                  // the heuristic's choice: algo id, tile, stages, split-K, ...
  bool bf16_out = false;             // FP32 output refused: the result is BF16 (widened)
  std::vector<uint32_t> d;           // FP32 bits, M x N row-major
  double median_ms = 0;              // with repeats > 0
};

// Runs the GEMM once (and `repeats` more times, timed with events, for the median). Split-K
// algorithms are excluded (they would add partial sums the model does not know about).
LtResult run_cublaslt(cublasLtHandle_t handle, const LtGemm& g, int repeats = 0);

}  // namespace hwlab::kernels::numerics

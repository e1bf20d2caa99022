// Expert GEMMs in FP8 E4M3 through cuBLASLt (one GEMM per expert slot, BF16 out, FP32 accumulation
// with cuBLASLt's default split accumulation, i.e. not the "fast accumulation" mode).
// Row-major in the caller's terms: D[m][n] = A[m][k] . B[n][k]^T, A the tokens (K contiguous), B the
// weights stored [n][k], both FP8 with leading dimensions in bytes (multiples of 16). cuBLASLt is
// column-major and wants FP8 as "TN": we pass the weights as its A (transposed) and the tokens as its B.
// Scaling: per tensor (scale 1), or DeepSeek-V3's blocks (cuBLASLt 12.9+ on sm_90: one FP32 scale per
// token and 128 channels, VEC128_32F; one per 128x128 weight block, BLK128x128_32F), applied by
// cuBLASLt inside the GEMM at every 128-element promotion.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

namespace hwlab::kernels {

enum class Fp8Scaling { tensor, block };

// Block scaling takes only m % 4 == 0 (the token scales' rows must be 16-byte aligned; found on
// cuBLASLt 13.1, H100: the heuristic returns NOT_SUPPORTED otherwise). Callers round m up and give
// every token matrix and output this many rows of slack past its end.
inline constexpr int kBlockScaledRowMultiple = 4;

// The block scales of one GEMM D = A . B^T (block scaling only). a: the tokens' 1x128 scales laid
// out [k/128][m], m contiguous (cuBLASLt's VEC128_32F); b: the weights' 128x128 scales [n/128][k/128],
// row-major (BLK128x128_32F). Both FP32.
struct Fp8Scales {
  const float* a = nullptr;
  const float* b = nullptr;
};

class Fp8Gemm {
 public:
  explicit Fp8Gemm(Fp8Scaling scaling = Fp8Scaling::tensor);
  ~Fp8Gemm();
  Fp8Gemm(const Fp8Gemm&) = delete;
  Fp8Gemm& operator=(const Fp8Gemm&) = delete;

  // cuBLASLt's heuristics plan for this many SMs (0 = the whole GPU): set it to the size of the
  // green context the GEMMs run in.
  void set_sm_count_target(int sms) { sm_target_ = sms; }

  Fp8Scaling scaling() const { return scaling_; }

  // Throws CudaError (with cuBLASLt's status) when no algorithm exists or the call fails, and
  // std::invalid_argument for block scaling without both scale arrays or with k, n not multiples of 128.
  void run(int m, int n, int k, const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, uint16_t* d, int64_t ldd,
           cudaStream_t stream, Fp8Scales scales = {});

  // "cuBLASLt 130100" for the result's device block.
  static std::string version();

 private:
  struct Plan;
  using Key = std::tuple<int, int, int, int64_t, int64_t, int64_t, int>;
  Plan& plan(int m, int n, int k, int64_t lda, int64_t ldb, int64_t ldd);

  void* handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  int sm_target_ = 0;
  Fp8Scaling scaling_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace hwlab::kernels

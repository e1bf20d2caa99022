// Expert GEMMs in FP8 E4M3 through cuBLASLt (one GEMM per expert slot, BF16 out, FP32 accumulation
// with cuBLASLt's default split accumulation, i.e. not the "fast accumulation" mode).
// Row-major in the caller's terms: D[m][n] = A[m][k] . B[n][k]^T, A the tokens (K contiguous), B the
// weights stored [n][k], both FP8 with leading dimensions in bytes (multiples of 16). cuBLASLt is
// column-major and wants FP8 as "TN": we pass the weights as its A (transposed) and the tokens as its B.
// Scaling is per tensor (scale 1): the 1x128 / 128x128 block scales of DeepSeek-V3 are not applied
// here (see kernels/README.md); timing is that of the same-shape FP8 GEMM.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

namespace hwlab::kernels {

class Fp8Gemm {
 public:
  Fp8Gemm();
  ~Fp8Gemm();
  Fp8Gemm(const Fp8Gemm&) = delete;
  Fp8Gemm& operator=(const Fp8Gemm&) = delete;

  // cuBLASLt's heuristics plan for this many SMs (0 = the whole GPU): set it to the size of the
  // green context the GEMMs run in.
  void set_sm_count_target(int sms) { sm_target_ = sms; }

  // Throws CudaError (with cuBLASLt's status) when no algorithm exists or the call fails.
  void run(int m, int n, int k, const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, uint16_t* d, int64_t ldd,
           cudaStream_t stream);

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
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace hwlab::kernels

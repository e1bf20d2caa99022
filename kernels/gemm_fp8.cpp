#include "kernels/gemm_fp8.h"

#include <cublasLt.h>

#include <cstdio>
#include <stdexcept>

#include "kernels/cuda_check.h"

namespace hwlab::kernels {

namespace {

void lt_check(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  char text[256];
  std::snprintf(text, sizeof(text), "%s failed: cuBLAS status %d", call, static_cast<int>(status));
  throw CudaError(text);
}

#define LT_CHECK(call) lt_check((call), #call)

cublasLtHandle_t as_handle(void* h) { return static_cast<cublasLtHandle_t>(h); }

}  // namespace

struct Fp8Gemm::Plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

Fp8Gemm::Fp8Gemm(Fp8Scaling scaling) : scaling_(scaling) {
  cublasLtHandle_t h = nullptr;
  LT_CHECK(cublasLtCreate(&h));
  handle_ = h;
  workspace_bytes_ = 64ull << 20;
  workspace_ = device_alloc(workspace_bytes_, "cuBLASLt workspace");
}

Fp8Gemm::~Fp8Gemm() {
  plans_.clear();
  if (workspace_) cudaFree(workspace_);
  if (handle_) cublasLtDestroy(as_handle(handle_));
}

std::string Fp8Gemm::version() { return "cuBLASLt " + std::to_string(cublasLtGetVersion()); }

Fp8Gemm::Plan& Fp8Gemm::plan(int m, int n, int k, int64_t lda, int64_t ldb, int64_t ldd) {
  const Key key{m, n, k, lda, ldb, ldd, sm_target_};
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  auto p = std::make_unique<Plan>();
  LT_CHECK(cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
  LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose)));
  LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof(keep)));
  if (sm_target_ > 0)
    LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET, &sm_target_,
                                            sizeof(sm_target_)));
  if (scaling_ == Fp8Scaling::block) {  // cuBLASLt's A is the weights (128x128), its B the tokens (1x128)
    const int32_t weights = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F, tokens = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
    LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &weights, sizeof(weights)));
    LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &tokens, sizeof(tokens)));
    // The heuristic refuses block scaling (CUBLAS_STATUS_INVALID_VALUE) while the scale pointers are
    // unset (found on cuBLASLt 13.1, H100): an aligned placeholder here, the real ones in run().
    const void* placeholder = workspace_;
    LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &placeholder,
                                            sizeof(placeholder)));
    LT_CHECK(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &placeholder,
                                            sizeof(placeholder)));
  }
  // cuBLASLt's A = weights, k x n column-major (our B[n][k] row-major); its B = tokens, k x m.
  LT_CHECK(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_8F_E4M3, static_cast<uint64_t>(k), static_cast<uint64_t>(n), ldb));
  LT_CHECK(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_8F_E4M3, static_cast<uint64_t>(k), static_cast<uint64_t>(m), lda));
  LT_CHECK(cublasLtMatrixLayoutCreate(&p->d, CUDA_R_16BF, static_cast<uint64_t>(n), static_cast<uint64_t>(m), ldd));
  cublasLtMatmulPreference_t pref = nullptr;
  LT_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_,
                                                sizeof(workspace_bytes_)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(as_handle(handle_), p->op, p->a, p->b, p->d, p->d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    char text[200];
    std::snprintf(text, sizeof(text), "cuBLASLt has no %sFP8 GEMM with BF16 output for m=%d n=%d k=%d (status %d)",
                  scaling_ == Fp8Scaling::block ? "block-scaled (1x128 x 128x128) " : "", m, n, k,
                  static_cast<int>(st));
    throw CudaError(text);
  }
  p->algo = result.algo;
  return *plans_.emplace(key, std::move(p)).first->second;
}

void Fp8Gemm::run(int m, int n, int k, const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, uint16_t* d,
                  int64_t ldd, cudaStream_t stream, Fp8Scales scales) {
  if (m == 0) return;
  if (scaling_ == Fp8Scaling::block && (!scales.a || !scales.b || k % 128 != 0 || n % 128 != 0))
    throw std::invalid_argument("block-scaled FP8 GEMM: needs both scale arrays and k, n multiples of 128");
  Plan& p = plan(m, n, k, lda, ldb, ldd);
  if (scaling_ == Fp8Scaling::block) {
    LT_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &scales.b, sizeof(scales.b)));
    LT_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &scales.a, sizeof(scales.a)));
  }
  const float alpha = 1.0f, beta = 0.0f;
  LT_CHECK(cublasLtMatmul(as_handle(handle_), p.op, &alpha, b, p.a, a, p.b, &beta, d, p.d, d, p.d, &p.algo, workspace_,
                          workspace_bytes_, stream));
}

}  // namespace hwlab::kernels

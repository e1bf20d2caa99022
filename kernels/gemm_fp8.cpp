#include "kernels/gemm_fp8.h"

#include <cublasLt.h>

#include <cstdio>

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

Fp8Gemm::Fp8Gemm() {
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
    std::snprintf(text, sizeof(text), "cuBLASLt has no FP8 GEMM for m=%d n=%d k=%d (status %d)", m, n, k,
                  static_cast<int>(st));
    throw CudaError(text);
  }
  p->algo = result.algo;
  return *plans_.emplace(key, std::move(p)).first->second;
}

void Fp8Gemm::run(int m, int n, int k, const uint8_t* a, int64_t lda, const uint8_t* b, int64_t ldb, uint16_t* d,
                  int64_t ldd, cudaStream_t stream) {
  if (m == 0) return;
  Plan& p = plan(m, n, k, lda, ldb, ldd);
  const float alpha = 1.0f, beta = 0.0f;
  LT_CHECK(cublasLtMatmul(as_handle(handle_), p.op, &alpha, b, p.a, a, p.b, &beta, d, p.d, d, p.d, &p.algo, workspace_,
                          workspace_bytes_, stream));
}

}  // namespace hwlab::kernels

#include "kernels/numerics/cublaslt_probe.h"

#include <cuda_bf16.h>

#include <algorithm>
#include <cstring>

#include "kernels/numerics/probe_util.h"

namespace hwlab::kernels::numerics {
namespace {

std::string status_text(cublasStatus_t s) {
  return std::string(cublasLtGetStatusName(s)) + " (" + cublasLtGetStatusString(s) + ")";
}

#define LT_TRY(call)                                                   \
  do {                                                                 \
    cublasStatus_t st_ = (call);                                       \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                \
      r.error = std::string(#call) + ": " + status_text(st_);          \
      return r;                                                        \
    }                                                                  \
  } while (0)

std::string algo_text(const cublasLtMatmulAlgo_t& algo) {
  auto get = [&](cublasLtMatmulAlgoConfigAttributes_t attr) -> long long {
    uint32_t v = 0;  // every attribute read here is a 32-bit integer
    size_t written = 0;
    if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &v, sizeof v, &written) != CUBLAS_STATUS_SUCCESS) return -1;
    return static_cast<int32_t>(v);
  };
  char buf[160];
  std::snprintf(buf, sizeof buf, "algo %lld tile %lld stages %lld splitk %lld reduction %lld custom %lld cluster %lld",
                get(CUBLASLT_ALGO_CONFIG_ID), get(CUBLASLT_ALGO_CONFIG_TILE_ID), get(CUBLASLT_ALGO_CONFIG_STAGES_ID),
                get(CUBLASLT_ALGO_CONFIG_SPLITK_NUM), get(CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME),
                get(CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION), get(CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID));
  return buf;
}

// One attempt with a given output type (FP32, or BF16 when FP32 is refused).
LtResult attempt(cublasLtHandle_t handle, const LtGemm& g, int repeats, bool bf16) {
  LtResult r;
  r.bf16_out = bf16;
  const size_t mn = static_cast<size_t>(g.m) * g.n;
  const cudaDataType_t out_type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  const size_t out_bytes = bf16 ? 2 : 4;
  DeviceBuffer<uint8_t> d_dev(mn * out_bytes), c_dev(mn * out_bytes);
  if (g.beta != 0.0f) {  // C, column-major in the output type
    std::vector<uint8_t> c(mn * out_bytes);
    for (int i = 0; i < g.m; ++i) {
      for (int j = 0; j < g.n; ++j) {
        const float v = g.c_rowmajor[static_cast<size_t>(i) * g.n + j];
        const size_t o = static_cast<size_t>(j) * g.m + i;
        if (bf16) {
          const __nv_bfloat16 h = __float2bfloat16(v);
          std::memcpy(&c[o * 2], &h, 2);
        } else {
          std::memcpy(&c[o * 4], &v, 4);
        }
      }
    }
    c_dev.upload(c);
  }
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr, ld = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  struct Cleanup {
    cublasLtMatmulDesc_t& d;
    cublasLtMatrixLayout_t &a, &b, &c, &dd;
    cublasLtMatmulPreference_t& p;
    ~Cleanup() {
      if (p) cublasLtMatmulPreferenceDestroy(p);
      if (dd) cublasLtMatrixLayoutDestroy(dd);
      if (c) cublasLtMatrixLayoutDestroy(c);
      if (b) cublasLtMatrixLayoutDestroy(b);
      if (a) cublasLtMatrixLayoutDestroy(a);
      if (d) cublasLtMatmulDescDestroy(d);
    }
  } cleanup{desc, la, lb, lc, ld, pref};

  LT_TRY(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
  LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t));
  LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n));
  const int8_t fast = g.fast_accum ? 1 : 0;
  LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof fast));
  if (g.scale_a) LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &g.scale_a, sizeof g.scale_a));
  if (g.scale_b) LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &g.scale_b, sizeof g.scale_b));
  if (g.block_scaled) {
    const int32_t mode_a = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F, mode_b = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
    LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode_a, sizeof mode_a));
    LT_TRY(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode_b, sizeof mode_b));
  }
  // cuBLASLt is column-major: its A is our A seen as K x M (op T), its B our B as K x N (op N).
  LT_TRY(cublasLtMatrixLayoutCreate(&la, CUDA_R_8F_E4M3, g.k, g.m, g.k));
  LT_TRY(cublasLtMatrixLayoutCreate(&lb, g.e5m2_b ? CUDA_R_8F_E5M2 : CUDA_R_8F_E4M3, g.k, g.n, g.k));
  LT_TRY(cublasLtMatrixLayoutCreate(&lc, out_type, g.m, g.n, g.m));
  LT_TRY(cublasLtMatrixLayoutCreate(&ld, out_type, g.m, g.n, g.m));
  LT_TRY(cublasLtMatmulPreferenceCreate(&pref));
  const size_t ws_bytes = size_t{64} << 20;
  DeviceBuffer<uint8_t> ws(ws_bytes);
  LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof ws_bytes));
  const uint32_t no_split_k = CUBLASLT_REDUCTION_SCHEME_NONE;  // mask 0: only algorithms without split-K
  LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &no_split_k, sizeof no_split_k));
  cublasLtMatmulHeuristicResult_t heur[8];
  int found = 0;
  cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, lc, ld, pref, 8, heur, &found);
  std::string note;
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    // Some shapes have only split-K algorithms: take one and say so (the model knows no split-K).
    const uint32_t any = CUBLASLT_REDUCTION_SCHEME_MASK;
    LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &any, sizeof any));
    LT_TRY(cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, lc, ld, pref, 8, heur, &found));
    note = " (split-K allowed: none without)";
  }
  if (found == 0) {
    r.error = "no algorithm";
    return r;
  }
  r.algo = algo_text(heur[0].algo) + note;
  const float alpha = g.alpha, beta = g.beta;
  const void* c_ptr = g.beta != 0.0f ? static_cast<const void*>(c_dev.ptr) : static_cast<const void*>(d_dev.ptr);
  d_dev.poison();
  LT_TRY(cublasLtMatmul(handle, desc, &alpha, g.a, la, g.b, lb, &beta, c_ptr, lc, d_dev.ptr, ld, &heur[0].algo,
                        ws.ptr, ws_bytes, 0));
  PROBE_CUDA(cudaDeviceSynchronize());
  if (repeats > 0) {
    cudaEvent_t e0, e1;
    PROBE_CUDA(cudaEventCreate(&e0));
    PROBE_CUDA(cudaEventCreate(&e1));
    std::vector<float> ms;
    for (int rep = 0; rep < repeats; ++rep) {
      PROBE_CUDA(cudaEventRecord(e0));
      LT_TRY(cublasLtMatmul(handle, desc, &alpha, g.a, la, g.b, lb, &beta, c_ptr, lc, d_dev.ptr, ld, &heur[0].algo,
                            ws.ptr, ws_bytes, 0));
      PROBE_CUDA(cudaEventRecord(e1));
      PROBE_CUDA(cudaEventSynchronize(e1));
      float t = 0;
      PROBE_CUDA(cudaEventElapsedTime(&t, e0, e1));
      ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    r.median_ms = ms[ms.size() / 2];
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
  }
  const std::vector<uint8_t> raw = d_dev.download();
  r.d.resize(mn);
  for (int i = 0; i < g.m; ++i) {
    for (int j = 0; j < g.n; ++j) {
      const size_t o = static_cast<size_t>(j) * g.m + i;
      uint32_t bits;
      if (bf16) {
        uint16_t h;
        std::memcpy(&h, &raw[o * 2], 2);
        bits = static_cast<uint32_t>(h) << 16;
      } else {
        std::memcpy(&bits, &raw[o * 4], 4);
      }
      r.d[static_cast<size_t>(i) * g.n + j] = bits;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace

LtResult run_cublaslt(cublasLtHandle_t handle, const LtGemm& g, int repeats) {
  LtResult r = attempt(handle, g, repeats, false);
  if (!r.ok && g.block_scaled) {
    LtResult b = attempt(handle, g, repeats, true);
    if (b.ok) return b;
    b.error = "FP32 out: " + r.error + "; BF16 out: " + b.error;
    return b;
  }
  return r;
}

}  // namespace hwlab::kernels::numerics

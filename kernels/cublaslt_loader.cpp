// cuBLASLt, loaded on first use instead of at program start.
//
// libcublasLt's start-up registers its device code, which costs every process that links it about
// 0.34 s of CPU and 200 MB of resident memory (2-vCPU EPYC, CUDA 13.0), whether or not it multiplies
// anything; `hwlab` links the measure commands, so every emulation, sweep point and CLI test paid it.
// Here the functions the expert GEMMs call (kernels/gemm_fp8.cpp) are defined with cuBLASLt's own
// declarations (so the compiler checks every signature against cublasLt.h) and forward to the real
// library, dlopen'ed by its soname on the first call: LD_LIBRARY_PATH and the system's library path
// first, then the CUDA toolkit's library folder this was built against.
#include <cublasLt.h>
#include <dlfcn.h>

#include <string>

#include "kernels/cuda_check.h"

#define HWLAB_STR2(x) #x
#define HWLAB_STR(x) HWLAB_STR2(x)

namespace hwlab::kernels {

namespace {

constexpr const char* kSoname = "libcublasLt.so." HWLAB_STR(CUBLAS_VER_MAJOR);

void* library() {
  static void* const handle = [] {
    void* h = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
    std::string why = h ? "" : dlerror();
#ifdef HWLAB_CUDA_LIBRARY_DIR
    if (!h) h = dlopen((std::string(HWLAB_CUDA_LIBRARY_DIR) + "/" + kSoname).c_str(), RTLD_NOW | RTLD_LOCAL);
#endif
    if (!h)
      throw CudaError(std::string("cuBLASLt could not be loaded (") + kSoname + "): " + why +
                      "; put its folder on LD_LIBRARY_PATH");
    return h;
  }();
  return handle;
}

void* symbol(const char* name) {
  void* f = dlsym(library(), name);
  if (!f) throw CudaError(std::string("cuBLASLt has no ") + name + ": " + dlerror());
  return f;
}

}  // namespace

}  // namespace hwlab::kernels

// One forwarding definition per function: the real one is looked up once.
#define HWLAB_LT_FORWARD(ret, name, params, args)                                                   \
  extern "C" ret CUBLASWINAPI name params {                                                          \
    using Fn = ret(CUBLASWINAPI*) params;                                                            \
    static const Fn real = reinterpret_cast<Fn>(hwlab::kernels::symbol(#name));                     \
    return real args;                                                                                \
  }

HWLAB_LT_FORWARD(cublasStatus_t, cublasLtCreate, (cublasLtHandle_t * handle), (handle))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtDestroy, (cublasLtHandle_t handle), (handle))
HWLAB_LT_FORWARD(size_t, cublasLtGetVersion, (void), ())
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulDescCreate,
                 (cublasLtMatmulDesc_t * desc, cublasComputeType_t compute, cudaDataType_t scale),
                 (desc, compute, scale))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulDescDestroy, (cublasLtMatmulDesc_t desc), (desc))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulDescSetAttribute,
                 (cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const void* buf, size_t bytes),
                 (desc, attr, buf, bytes))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatrixLayoutCreate,
                 (cublasLtMatrixLayout_t * layout, cudaDataType type, uint64_t rows, uint64_t cols, int64_t ld),
                 (layout, type, rows, cols, ld))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatrixLayoutDestroy, (cublasLtMatrixLayout_t layout), (layout))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulPreferenceCreate, (cublasLtMatmulPreference_t * pref), (pref))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulPreferenceDestroy, (cublasLtMatmulPreference_t pref), (pref))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulPreferenceSetAttribute,
                 (cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr, const void* buf,
                  size_t bytes),
                 (pref, attr, buf, bytes))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmulAlgoGetHeuristic,
                 (cublasLtHandle_t handle, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                  cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d, cublasLtMatmulPreference_t pref, int requested,
                  cublasLtMatmulHeuristicResult_t results[], int* returned),
                 (handle, op, a, b, c, d, pref, requested, results, returned))
HWLAB_LT_FORWARD(cublasStatus_t, cublasLtMatmul,
                 (cublasLtHandle_t handle, cublasLtMatmulDesc_t op, const void* alpha, const void* a,
                  cublasLtMatrixLayout_t a_layout, const void* b, cublasLtMatrixLayout_t b_layout, const void* beta,
                  const void* c, cublasLtMatrixLayout_t c_layout, void* d, cublasLtMatrixLayout_t d_layout,
                  const cublasLtMatmulAlgo_t* algo, void* workspace, size_t workspace_bytes, cudaStream_t stream),
                 (handle, op, alpha, a, a_layout, b, b_layout, beta, c, c_layout, d, d_layout, algo, workspace,
                  workspace_bytes, stream))

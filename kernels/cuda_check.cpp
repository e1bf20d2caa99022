#include "kernels/cuda_check.h"

#include <cstdio>

namespace hwlab::kernels {

void cuda_check(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  char text[512];
  std::snprintf(text, sizeof(text), "%s failed at %s:%d: %s: %s", call, file, line, cudaGetErrorName(status),
                cudaGetErrorString(status));
  throw CudaError(text);
}

void* device_alloc(size_t bytes, const std::string& what) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaSuccess) return p;
  cudaGetLastError();  // clear the sticky-free error so later calls work
  int device = -1;
  cudaGetDevice(&device);
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
  char text[512];
  if (status == cudaErrorMemoryAllocation)
    std::snprintf(text, sizeof(text), "out of memory on GPU %d: %s asked for %.2f GiB (%zu bytes), %.2f GiB free of %.2f GiB",
                  device, what.c_str(), static_cast<double>(bytes) / GiB, bytes, static_cast<double>(free_bytes) / GiB,
                  static_cast<double>(total_bytes) / GiB);
  else
    std::snprintf(text, sizeof(text), "cudaMalloc of %zu bytes for %s on GPU %d failed: %s", bytes, what.c_str(), device,
                  cudaGetErrorString(status));
  throw CudaError(text);
}

}  // namespace hwlab::kernels

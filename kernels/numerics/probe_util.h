// Small helpers shared by the standalone FP8 probe programs (CUDA runtime + cuBLASLt only).
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define PROBE_CUDA(call)                                                                       \
  do {                                                                                         \
    cudaError_t err_ = (call);                                                                 \
    if (err_ != cudaSuccess) {                                                                 \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
      std::exit(1);                                                                            \
    }                                                                                          \
  } while (0)

// Checks the last launch and waits for it, so that a failing kernel is named where it failed.
#define PROBE_LAUNCHED(what)                                                                   \
  do {                                                                                         \
    PROBE_CUDA(cudaGetLastError());                                                            \
    cudaError_t err_ = cudaDeviceSynchronize();                                                \
    if (err_ != cudaSuccess) {                                                                 \
      std::fprintf(stderr, "%s:%d: kernel %s: %s\n", __FILE__, __LINE__, what, cudaGetErrorString(err_)); \
      std::exit(1);                                                                            \
    }                                                                                          \
  } while (0)

namespace hwlab::kernels::numerics {

template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  explicit DeviceBuffer(size_t n) : count(n) { PROBE_CUDA(cudaMalloc(&ptr, n * sizeof(T) + 16)); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(ptr); }
  void upload(const std::vector<T>& v) {
    PROBE_CUDA(cudaMemcpy(ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> v(count);
    PROBE_CUDA(cudaMemcpy(v.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
  // Poison: every output must be written by the kernel under test.
  void poison() { PROBE_CUDA(cudaMemset(ptr, 0xFF, count * sizeof(T))); }
};

inline void write_binary(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

inline std::string device_line() {
  int dev = 0;
  cudaDeviceProp p{};
  PROBE_CUDA(cudaGetDevice(&dev));
  PROBE_CUDA(cudaGetDeviceProperties(&p, dev));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s, sm_%d%d, %d SMs, CUDA driver API %d, runtime %d", p.name, p.major,
                p.minor, p.multiProcessorCount, driver, runtime);
  return buf;
}

}  // namespace hwlab::kernels::numerics

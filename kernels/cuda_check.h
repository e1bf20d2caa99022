// Checked CUDA calls: every runtime call's status is looked at, failures become exceptions that
// name the call and where it was made; allocations that fail say how much was asked and how much
// the GPU had free.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace hwlab::kernels {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws CudaError("<call> failed at file:line: <error name>: <error string>").
void cuda_check(cudaError_t status, const char* call, const char* file, int line);

// cudaMalloc that reports an out-of-memory as "out of memory on GPU n: <what> asked for X GiB,
// Y GiB free of Z GiB" (a CudaError).
void* device_alloc(size_t bytes, const std::string& what);

// The last launch's error, checked (after every kernel launch).
#define HWLAB_CUDA_CHECK(call) ::hwlab::kernels::cuda_check((call), #call, __FILE__, __LINE__)
#define HWLAB_CUDA_LAUNCHED(name) ::hwlab::kernels::cuda_check(cudaGetLastError(), name, __FILE__, __LINE__)

// A device buffer that frees itself.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(size_t count, const std::string& what) : count_(count) {
    if (count) ptr_ = static_cast<T*>(device_alloc(count * sizeof(T), what));
  }
  ~DeviceArray() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceArray(DeviceArray&& o) noexcept : ptr_(o.ptr_), count_(o.count_) { o.ptr_ = nullptr; o.count_ = 0; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      if (ptr_) cudaFree(ptr_);
      ptr_ = o.ptr_;
      count_ = o.count_;
      o.ptr_ = nullptr;
      o.count_ = 0;
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

// Copies a host vector into a new device array.
template <class T, class Vec>
DeviceArray<T> to_device(const Vec& host, const std::string& what) {
  DeviceArray<T> d(host.size(), what);
  if (!host.empty()) HWLAB_CUDA_CHECK(cudaMemcpy(d.get(), host.data(), d.bytes(), cudaMemcpyHostToDevice));
  return d;
}

}  // namespace hwlab::kernels

// Transfers issued to the copy (DMA) engines instead of SMs: the real hardware closest to the
// proposed communication co-processor. A batch of (destination, source, bytes) copies goes down in
// cudaMemcpyBatchAsync calls with the "prefer overlap with compute" hint, which asks the driver for
// the copy engines rather than a copy kernel.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

namespace hwlab::kernels {

struct CopyBatch {
  std::vector<void*> dst;
  std::vector<const void*> src;
  std::vector<size_t> bytes;

  // Appends a copy, merging it into the previous one when both ends continue it.
  void add(void* d, const void* s, size_t n);
  size_t size() const { return dst.size(); }
};

// Issues the whole batch on `stream` (in chunks the API accepts). Throws CudaError.
void issue_copy_batch(const CopyBatch& batch, cudaStream_t stream);

}  // namespace hwlab::kernels

#include "kernels/copy_engine.h"

#include <algorithm>

#include "kernels/cuda_check.h"

namespace hwlab::kernels {

void CopyBatch::add(void* d, const void* s, size_t n) {
  if (!dst.empty() && static_cast<char*>(dst.back()) + bytes.back() == d &&
      static_cast<const char*>(src.back()) + bytes.back() == s) {
    bytes.back() += n;
    return;
  }
  dst.push_back(d);
  src.push_back(s);
  bytes.push_back(n);
}

void issue_copy_batch(const CopyBatch& batch, cudaStream_t stream) {
  cudaMemcpyAttributes attr{};
  attr.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
  attr.flags = cudaMemcpyFlagPreferOverlapWithCompute;
  size_t attr_index = 0;
  constexpr size_t kChunk = 1 << 14;
  for (size_t first = 0; first < batch.size(); first += kChunk) {
    const size_t n = std::min(kChunk, batch.size() - first);
    HWLAB_CUDA_CHECK(cudaMemcpyBatchAsync(const_cast<void* const*>(batch.dst.data() + first),
                                          const_cast<const void* const*>(batch.src.data() + first),
                                          batch.bytes.data() + first, n, &attr, &attr_index, 1, stream));
  }
}

}  // namespace hwlab::kernels

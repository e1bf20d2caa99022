#include "runtime/peer_arena.h"

#include <cuda_runtime.h>

#include <cstring>

#include <fmt/format.h>

#include "kernels/cuda_check.h"

namespace hwlab::runtime {

PeerArena::PeerArena(Communicator& comm, size_t bytes, const std::string& what)
    : me_(comm.rank()), bytes_(std::max<size_t>(bytes, 256)) {
  bases_.assign(static_cast<size_t>(comm.world()), nullptr);
  bases_[static_cast<size_t>(me_)] = static_cast<uint8_t*>(kernels::device_alloc(bytes_, what));
  HWLAB_CUDA_CHECK(cudaMemset(bases_[static_cast<size_t>(me_)], 0, bytes_));
  if (comm.world() == 1) return;
  cudaIpcMemHandle_t handle;
  HWLAB_CUDA_CHECK(cudaIpcGetMemHandle(&handle, bases_[static_cast<size_t>(me_)]));
  const auto all = comm.allgather(&handle, sizeof(handle));
  for (int q = 0; q < comm.world(); ++q) {
    if (q == me_) continue;
    cudaIpcMemHandle_t h;
    std::memcpy(&h, all.data() + sizeof(h) * static_cast<size_t>(q), sizeof(h));
    void* p = nullptr;
    const cudaError_t st = cudaIpcOpenMemHandle(&p, h, cudaIpcMemLazyEnablePeerAccess);
    if (st != cudaSuccess)
      comm.fail(fmt::format("cannot map GPU {}'s {} (CUDA IPC: {}); the SM and copy-engine exchanges need peer "
                            "access between the GPUs of one host (use --comm nccl otherwise)",
                            q, what, cudaGetErrorString(st)));
    bases_[static_cast<size_t>(q)] = static_cast<uint8_t*>(p);
  }
  comm.barrier();
}

PeerArena::~PeerArena() {
  for (size_t q = 0; q < bases_.size(); ++q) {
    if (!bases_[q]) continue;
    if (static_cast<int>(q) == me_) cudaFree(bases_[q]);
    else cudaIpcCloseMemHandle(bases_[q]);
  }
}

}  // namespace hwlab::runtime

// A barrier among the GPUs of one exchange, through flags in each GPU's memory that every peer can
// write (CUDA IPC). It orders the exchange: the system-scope fence and release make a GPU's earlier
// peer writes (dispatch rows, combine rows) visible before its arrival, and the acquire on the
// peers' arrivals makes theirs visible to the work that follows on this GPU. Timed runs start and
// end with one, so a measured time covers the slowest GPU.
#include "kernels/cuda_check.h"
#include "kernels/exchange.h"
#include "kernels/ptx_memory.cuh"

namespace hwlab::kernels {

namespace {

__global__ void peer_barrier_kernel(const PeerFlags f, int me, int num_peers, int epoch, uint64_t timeout_ns,
                                    int* timed_out) {
  const int q = static_cast<int>(threadIdx.x);
  if (q >= num_peers) return;
  __threadfence_system();
  store_release_system(f.flags[q] + me, epoch);
  const int* mine = f.flags[me] + q;
  const uint64_t start = global_timer_ns();
  while (load_acquire_system(mine) < epoch) {
    if (global_timer_ns() - start > timeout_ns) {
      atomicExch(timed_out, q + 1);
      return;
    }
  }
}

}  // namespace

void launch_peer_barrier(const PeerFlags& flags, int me, int num_peers, int epoch, uint64_t timeout_ns,
                         int* timed_out, cudaStream_t stream) {
  peer_barrier_kernel<<<1, 32, 0, stream>>>(flags, me, num_peers, epoch, timeout_ns, timed_out);
  HWLAB_CUDA_LAUNCHED("peer_barrier_kernel");
}

}  // namespace hwlab::kernels

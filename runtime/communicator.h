// One NCCL communicator per process (one rank per GPU). It is a blocking communicator, as in
// nccl-tests, so that timed loops enqueue NCCL work back to back (a non-blocking one makes the host
// poll after every group and leaves gaps on the GPU). No call can hang the process anyway: a watchdog
// thread watches every NCCL host call (HWLAB_NCCL) and, past the deadline, aborts the communicator,
// prints "rank r: <call> timed out after N s" and exits 1; waits for GPU work poll with the same
// deadline (sync); failures abort the communicator and raise RankFailure naming the rank and the call.
// Peer waits of our own kernels (the IPC barrier) use the same deadline.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

namespace hwlab::runtime {

class RankFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Communicator {
 public:
  // Joins the communicator of `world` ranks; `unique_id` is NCCL's 128-byte id.
  Communicator(const std::vector<uint8_t>& unique_id, int rank, int world, int timeout_s);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int world() const { return world_; }
  ncclComm_t get() const { return comm_; }
  int timeout_s() const { return timeout_s_; }

  // Checks an NCCL call's status; a failure aborts the communicator (RankFailure).
  void check(ncclResult_t status, const char* call);
  // Marks the start / end of an NCCL host call for the watchdog (use HWLAB_NCCL).
  void enter(const char* call);
  void leave() { in_call_.store(nullptr); }
  // Waits for `stream` to drain while watching NCCL's asynchronous errors; on timeout aborts.
  void sync(cudaStream_t stream, const char* what);
  // Aborts the communicator (idempotent) and throws RankFailure("rank r: <what>").
  [[noreturn]] void fail(const std::string& what);

  // Every rank's `bytes` bytes, rank-major (ncclAllGather through a small device buffer).
  std::vector<uint8_t> allgather(const void* mine, size_t bytes);
  template <class T>
  std::vector<T> allgather_values(const std::vector<T>& mine) {
    const auto raw = allgather(mine.data(), mine.size() * sizeof(T));
    std::vector<T> out(raw.size() / sizeof(T));
    std::copy(raw.begin(), raw.end(), reinterpret_cast<uint8_t*>(out.data()));
    return out;
  }
  void barrier();  // an allgather of nothing much

 private:
  void watch();

  ncclComm_t comm_ = nullptr;
  int rank_ = 0, world_ = 1, timeout_s_ = 300;
  bool aborted_ = false;
  cudaStream_t stream_ = nullptr;
  std::atomic<const char*> in_call_{nullptr};
  std::atomic<int64_t> call_start_ns_{0};
  std::atomic<bool> stop_{false};
  std::atomic<ncclComm_t> watched_{nullptr};
  std::thread watchdog_;
};

// An NCCL call under the watchdog, checked: HWLAB_NCCL(comm, ncclSend(...)).
#define HWLAB_NCCL(comm, call)              \
  do {                                      \
    (comm).enter(#call);                    \
    const ncclResult_t hwlab_nccl_st = call; \
    (comm).leave();                         \
    (comm).check(hwlab_nccl_st, #call);     \
  } while (0)

// NCCL's unique id as bytes (ncclGetUniqueId).
std::vector<uint8_t> new_unique_id();
// "2.28.9" from ncclGetVersion.
std::string nccl_version();

}  // namespace hwlab::runtime

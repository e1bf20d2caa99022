#include "runtime/communicator.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "kernels/cuda_check.h"

namespace hwlab::runtime {

namespace {
using Clock = std::chrono::steady_clock;
}

std::vector<uint8_t> new_unique_id() {
  ncclUniqueId id;
  const ncclResult_t st = ncclGetUniqueId(&id);
  if (st != ncclSuccess)
    throw RankFailure(fmt::format("ncclGetUniqueId failed: {}", ncclGetErrorString(st)));
  return std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&id), reinterpret_cast<uint8_t*>(&id) + sizeof(id));
}

std::string nccl_version() {
  int v = 0;
  ncclGetVersion(&v);
  return fmt::format("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
}

Communicator::Communicator(const std::vector<uint8_t>& unique_id, int rank, int world, int timeout_s)
    : rank_(rank), world_(world), timeout_s_(timeout_s) {
  if (unique_id.size() != sizeof(ncclUniqueId))
    throw RankFailure(fmt::format("rank {}: NCCL unique id has {} bytes, expected {}", rank, unique_id.size(),
                                  sizeof(ncclUniqueId)));
  ncclUniqueId id;
  std::memcpy(&id, unique_id.data(), sizeof(id));
  watchdog_ = std::thread([this] { watch(); });
  try {
    HWLAB_NCCL(*this, ncclCommInitRank(&comm_, world, id, rank));
    watched_.store(comm_);
    HWLAB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  } catch (...) {
    stop_.store(true);
    watchdog_.join();
    throw;
  }
}

Communicator::~Communicator() {
  stop_.store(true);
  if (watchdog_.joinable()) watchdog_.join();
  if (stream_) cudaStreamDestroy(stream_);
  if (comm_ && !aborted_) ncclCommDestroy(comm_);
}

void Communicator::enter(const char* call) {
  call_start_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
  in_call_.store(call);
}

// Runs beside the rank: a host NCCL call that outlives the deadline ends the process (the call may
// never return, so nothing else could report it).
void Communicator::watch() {
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const char* call = in_call_.load();
    if (!call) continue;
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
    if (now - call_start_ns_.load() < static_cast<int64_t>(timeout_s_) * 1000000000LL) continue;
    std::fprintf(stderr, "hwlab: error: rank %d: %s timed out after %d s; aborting the communicator\n", rank_, call,
                 timeout_s_);
    std::fflush(stderr);
    if (ncclComm_t c = watched_.load()) ncclCommAbort(c);
    std::_Exit(1);
  }
}

void Communicator::fail(const std::string& what) {
  if (comm_ && !aborted_) {
    aborted_ = true;
    ncclCommAbort(comm_);
  }
  throw RankFailure(fmt::format("rank {}: {}", rank_, what));
}

void Communicator::check(ncclResult_t status, const char* call) {
  if (status != ncclSuccess)
    fail(fmt::format("{} failed: {} ({})", call, ncclGetErrorString(status), comm_ ? ncclGetLastError(comm_) : ""));
}

void Communicator::sync(cudaStream_t stream, const char* what) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s_);
  for (;;) {
    const cudaError_t q = cudaStreamQuery(stream);
    if (q == cudaSuccess) return;
    if (q != cudaErrorNotReady)
      fail(fmt::format("{}: CUDA error {}: {}", what, cudaGetErrorName(q), cudaGetErrorString(q)));
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(comm_, &async);
    if (async != ncclSuccess && async != ncclInProgress)
      fail(fmt::format("{}: NCCL error {}", what, ncclGetErrorString(async)));
    if (Clock::now() > deadline) fail(fmt::format("{} timed out after {} s", what, timeout_s_));
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

std::vector<uint8_t> Communicator::allgather(const void* mine, size_t bytes) {
  const size_t padded = (bytes + 15) / 16 * 16;
  kernels::DeviceArray<uint8_t> buf(padded * static_cast<size_t>(world_) + 16, "allgather buffer");
  HWLAB_CUDA_CHECK(cudaMemcpy(buf.get() + padded * static_cast<size_t>(rank_), mine, bytes, cudaMemcpyHostToDevice));
  HWLAB_NCCL(*this, ncclAllGather(buf.get() + padded * static_cast<size_t>(rank_), buf.get(), padded, ncclUint8, comm_,
                                   stream_));
  sync(stream_, "ncclAllGather");
  std::vector<uint8_t> all(padded * static_cast<size_t>(world_));
  HWLAB_CUDA_CHECK(cudaMemcpy(all.data(), buf.get(), all.size(), cudaMemcpyDeviceToHost));
  std::vector<uint8_t> out(bytes * static_cast<size_t>(world_));
  for (int r = 0; r < world_; ++r)
    std::memcpy(out.data() + bytes * static_cast<size_t>(r), all.data() + padded * static_cast<size_t>(r), bytes);
  return out;
}

void Communicator::barrier() {
  const int token = rank_;
  allgather(&token, sizeof(token));
}

}  // namespace hwlab::runtime

// `hwlab measure collective --op alltoall|alltoallv --bytes MIN:MAX[:FACTOR]`: NCCL's all-to-all as
// grouped ncclSend/ncclRecv (what nccl-tests' alltoall does), one row per size in nccl-tests' table
// (size, count, type, time, algbw, busbw, #wrong), busbw = algbw * (n-1)/n as nccl-tests defines it.
// Each size: fill rank-encoded values, poison the receive buffer, run once and count wrong elements
// (every rank, summed), then time `--iters` operations between two events after `--warmup`; the row's
// time is the mean per operation of the slowest rank.
#include <cstdio>

#include <fmt/format.h>

#include "common/collective_table.h"
#include "common/error.h"
#include "kernels/checks.h"
#include "kernels/cuda_check.h"
#include "runtime/collective_plan.h"
#include "runtime/measure.h"
#include "runtime/rank_session.h"
#include "runtime/result_assembly.h"

namespace hwlab::runtime {

namespace {

using kernels::DeviceArray;

void enqueue_alltoallv(Communicator& comm, const float* send, float* recv, const std::vector<uint64_t>& scount,
                       const std::vector<uint64_t>& sdispl, const std::vector<uint64_t>& rcount,
                       const std::vector<uint64_t>& rdispl, cudaStream_t stream) {
  HWLAB_NCCL(comm, ncclGroupStart());
  for (int p = 0; p < comm.world(); ++p) {
    const auto i = static_cast<size_t>(p);
    HWLAB_NCCL(comm, ncclSend(send + sdispl[i], scount[i], ncclFloat, p, comm.get(), stream));
    HWLAB_NCCL(comm, ncclRecv(recv + rdispl[i], rcount[i], ncclFloat, p, comm.get(), stream));
  }
  HWLAB_NCCL(comm, ncclGroupEnd());
}

int collective_rank(const CollectiveOptions& o, RankSession& s) {
  Communicator& comm = *s.comm;
  const int n = s.world(), me = s.rank();
  const std::vector<uint64_t> sizes = sweep_sizes(parse_size_sweep(o.bytes));
  uint64_t max_send = 1, max_recv = 1;
  for (uint64_t b : sizes) {
    const AlltoallSizes a = alltoall_sizes(o.op, b, n, 4);
    max_send = std::max(max_send, a.count);
    max_recv = std::max(max_recv, recv_total(a, n, me));
  }
  DeviceArray<float> send(max_send, "alltoall send buffer"), recv(max_recv, "alltoall receive buffer");
  DeviceArray<uint64_t> geometry(4 * static_cast<size_t>(n), "alltoall counts");
  DeviceArray<unsigned long long> wrong(1, "wrong counter");
  cudaStream_t stream;
  HWLAB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cudaEvent_t start, stop;
  HWLAB_CUDA_CHECK(cudaEventCreate(&start));
  HWLAB_CUDA_CHECK(cudaEventCreate(&stop));

  std::vector<CollectiveRow> rows;
  for (uint64_t b : sizes) {
    const AlltoallSizes a = alltoall_sizes(o.op, b, n, 4);
    std::vector<uint64_t> scount(static_cast<size_t>(n)), rcount(static_cast<size_t>(n));
    for (int p = 0; p < n; ++p) {
      scount[static_cast<size_t>(p)] = a.send_counts[static_cast<size_t>(me) * n + p];
      rcount[static_cast<size_t>(p)] = a.send_counts[static_cast<size_t>(p) * n + me];
    }
    const auto sdispl = send_displacements(a, n, me), rdispl = recv_displacements(a, n, me);
    std::vector<uint64_t> geo;
    geo.insert(geo.end(), sdispl.begin(), sdispl.end());
    geo.insert(geo.end(), scount.begin(), scount.end());
    geo.insert(geo.end(), rdispl.begin(), rdispl.end());
    geo.insert(geo.end(), rcount.begin(), rcount.end());
    HWLAB_CUDA_CHECK(cudaMemcpyAsync(geometry.get(), geo.data(), geo.size() * 8, cudaMemcpyHostToDevice, stream));
    HWLAB_CUDA_CHECK(cudaMemsetAsync(wrong.get(), 0, sizeof(unsigned long long), stream));
    kernels::launch_fill_collective(send.get(), geometry.get(), geometry.get() + n, me, n, stream);
    kernels::launch_poison(recv.get(), recv_total(a, n, me) * 4, stream);
    enqueue_alltoallv(comm, send.get(), recv.get(), scount, sdispl, rcount, rdispl, stream);
    kernels::launch_check_collective(recv.get(), geometry.get() + 2 * n, geometry.get() + 3 * n, me, n, wrong.get(),
                                     stream);
    comm.sync(stream, "alltoall check");
    unsigned long long my_wrong = 0;
    HWLAB_CUDA_CHECK(cudaMemcpy(&my_wrong, wrong.get(), sizeof(my_wrong), cudaMemcpyDeviceToHost));

    for (int i = 0; i < o.common.warmup; ++i)
      enqueue_alltoallv(comm, send.get(), recv.get(), scount, sdispl, rcount, rdispl, stream);
    comm.sync(stream, "alltoall warm-up");
    comm.barrier();
    HWLAB_CUDA_CHECK(cudaEventRecord(start, stream));
    for (int i = 0; i < o.common.iterations; ++i)
      enqueue_alltoallv(comm, send.get(), recv.get(), scount, sdispl, rcount, rdispl, stream);
    HWLAB_CUDA_CHECK(cudaEventRecord(stop, stream));
    comm.sync(stream, "alltoall timing");
    const float per_op_us = elapsed_ms(start, stop) * 1000.0f / static_cast<float>(o.common.iterations);

    const auto times = comm.allgather_values(std::vector<float>{per_op_us});
    const auto wrongs = comm.allgather_values(std::vector<unsigned long long>{my_wrong});
    double slowest = 0;
    uint64_t wrong_total = 0;
    for (float t : times) slowest = std::max(slowest, static_cast<double>(t));
    for (auto w : wrongs) wrong_total += w;
    rows.push_back(make_collective_row(o.op, a.bytes, a.count, "float", slowest, n, wrong_total));
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaStreamDestroy(stream);

  uint64_t wrong_rows = 0;
  double busbw_sum = 0;
  for (const auto& r : rows) {
    wrong_rows += r.wrong > 0;
    busbw_sum += r.busbw_GBps;
  }
  if (s.leader()) {
    const std::string title = fmt::format("hwlab measure collective: {} over {} rank(s), {} ({} x {}), NCCL {}", o.op, n,
                                          s.device_info.name, s.device_info.count, s.prop.multiProcessorCount,
                                          s.device_info.extra["nccl"].get<std::string>());
    std::fputs(format_collective_table(rows, title).c_str(), stdout);
    std::fflush(stdout);
    if (!o.common.out.empty()) {
      nlohmann::json metrics = {{"avg_busbw_GBps", rows.empty() ? 0.0 : busbw_sum / static_cast<double>(rows.size())},
                                {"ranks", n}};
      const nlohmann::json workload = {{"name", "collective-" + o.op}, {"op", o.op}, {"bytes", o.bytes}};
      write_result(o.common.out, measured_result(platform_json(platform_for_device(s.prop.name)), workload,
                                                 s.device_info, metrics, rows, s.command_line));
    }
  }
  if (wrong_rows > 0) {
    if (s.leader()) std::fprintf(stderr, "hwlab: error: %llu size(s) with wrong elements\n",
                                 static_cast<unsigned long long>(wrong_rows));
    return kExitInternalError;
  }
  return kExitOk;
}

}  // namespace

int run_measure_collective(const CollectiveOptions& o) {
  parse_size_sweep(o.bytes);
  alltoall_sizes(o.op, 1, 1, 4);
  return run_ranks(o.common, [&](RankSession& s) { return collective_rank(o, s); });
}

}  // namespace hwlab::runtime

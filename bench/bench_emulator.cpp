// Speed of the SystemC cluster model: whole emulations (each in a forked child, as `hwlab emulate`
// runs them, since SystemC elaborates once per process) and the bandwidth-server calendar.
// Run: build/<dir>/bench/bench_emulator [--benchmark_filter=Decode] [--benchmark_repetitions=3]
// Whole runs take seconds to minutes each: the time column is wall time (real_time); `child_cpu_s`
// is the CPU time of the emulation process itself, which is what the one-core goals are about on a
// shared machine. Records: papers/measurements/2026-11-23-emulator-speed.md.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "emulator/collective.h"
#include "emulator/core/bandwidth_server.h"
#include "emulator/emulate.h"
#include "common/atomic_file.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/trace_export.h"

namespace {

using namespace hwlab;
using namespace hwlab::emulator;

double children_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Wall time per iteration (UseRealTime), plus the child processes' CPU time per iteration.
template <class Body>
void time_children(benchmark::State& state, Body body) {
  const double cpu0 = children_cpu_s();
  for (auto _ : state) body();
  state.counters["child_cpu_s"] =
      benchmark::Counter((children_cpu_s() - cpu0) / static_cast<double>(state.iterations()));
}

workloads::RunConfigs configs(const char* workload, bool coprocessor, bool flow = false,
                              const std::string& trace_file = "") {
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, workload}};
  if (coprocessor) in.push_back({config::ConfigKind::proposal, "coprocessor"});
  std::vector<std::string> sets;
  if (flow) sets.push_back("platform.emulation.network_model=flow");
  if (!trace_file.empty()) {
    sets.push_back("workload.routing.popularity=trace");
    sets.push_back("workload.routing.trace_file=" + trace_file);
  }
  return workloads::load_run_configs(in, sets);
}

// Layer 0, micro-batch 0 of the decode preset's own routing, written once as a trace, as
// `hwlab workload routing dsv3-decode --out FILE.npy` writes it.
std::string decode_trace_file() {
  static const std::string path = [] {
    const auto run = workloads::load_run_configs({{config::ConfigKind::workload, "dsv3-decode"}}, {});
    const workloads::Routing all = workloads::gpu_major(workloads::TokenRouter(*run.workload).route_micro_batch(0, 0));
    const std::string file = (std::filesystem::temp_directory_path() /
                              ("hwlab_bench_decode_routing_" + std::to_string(::getpid()) + ".npy")).string();
    write_file_atomically(file, workloads::trace_bytes(all, file));
    std::atexit([] { std::filesystem::remove(decode_trace_file()); });
    return file;
  }();
  return path;
}

// One step of DeepSeek-V3 (2 micro-batches) through `layers` MoE layers, as
// `hwlab emulate --platform h800 --workload dsv3-decode|dsv3-prefill [--proposal coprocessor] --layers N`.
// `flow`: the same on the flow-level network model (--set platform.emulation.network_model=flow).
void step(benchmark::State& state, const char* workload, bool flow = false, const std::string& trace_file = "") {
  const auto run = configs(workload, state.range(1) != 0, flow, trace_file);
  EmulationOptions o;
  o.layers = static_cast<int>(state.range(0));
  double step_us = 0;
  time_children(state, [&] { step_us = emulate(run, o, false).result.metrics.at("step_us").get<double>(); });
  state.counters["simulated_step_us"] = step_us;
}
void BM_DecodeStep(benchmark::State& state) { step(state, "dsv3-decode"); }
void BM_PrefillStep(benchmark::State& state) { step(state, "dsv3-prefill"); }
void BM_DecodeStepFlow(benchmark::State& state) { step(state, "dsv3-decode", true); }
BENCHMARK(BM_DecodeStepFlow)
    ->ArgNames({"layers", "coproc"})
    ->Args({1, 0})
    ->Args({58, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();
// The same with the routing replayed from a trace (every layer routes as layer 0, micro-batch 0 of
// the preset's generator): the emulator's own cost, without drawing 7.1 M tokens' routing.
void BM_DecodeStepFlowTrace(benchmark::State& state) { step(state, "dsv3-decode", true, decode_trace_file()); }
BENCHMARK(BM_DecodeStepFlowTrace)
    ->ArgNames({"layers", "coproc"})
    ->Args({58, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();
BENCHMARK(BM_DecodeStep)
    ->ArgNames({"layers", "coproc"})
    ->Args({1, 0})
    ->Args({58, 0})
    ->Args({58, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();
BENCHMARK(BM_PrefillStep)
    ->ArgNames({"layers", "coproc"})
    ->Args({1, 0})
    ->Args({58, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

// One all-to-all over `gpus` GPUs of the h800 preset (ISCA'25 multi-plane fat-tree: 8 planes, each a
// two-layer fat-tree of 64-port switches, 16 384 NICs at most), 64 KiB per peer (one chunk), 20 SMs:
// `hwlab emulate collective --platform h800 --op alltoall --gpus N --bytes N*64K:N*64K`.
CollectiveSpec mpft_alltoall(const benchmark::State& state, bool flow) {
  CollectiveSpec spec;
  spec.op = "alltoall";
  spec.gpus = static_cast<int>(state.range(0));
  spec.sms = 20;
  spec.sizes = {static_cast<uint64_t>(spec.gpus) * 65536};
  spec.flow_model = flow;
  return spec;
}
void BM_MpftAlltoall(benchmark::State& state) {
  const auto run = workloads::load_run_configs({{config::ConfigKind::platform, "h800"}}, {});
  const CollectiveSpec spec = mpft_alltoall(state, false);
  double us = 0;
  time_children(state, [&] { us = emulate_collective(*run.platform, run.proposal, spec).front().time_us; });
  state.counters["simulated_us"] = us;
  state.counters["peer_transfers"] = static_cast<double>(spec.gpus) * (spec.gpus - 1);
}
BENCHMARK(BM_MpftAlltoall)
    ->ArgName("gpus")
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096)
    ->Arg(16384)  // about 2 G bookings, 15 GB and 20 min of one core here (papers/measurements/...-emulator-speed.md)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

// The same all-to-alls through the flow-level model (`--model flow`, emulator/flow/flow_alltoall.h):
// per-resource loads from the traffic matrix row by row, no SystemC, in this process (no fork).
void BM_MpftAlltoallFlow(benchmark::State& state) {
  const auto run = workloads::load_run_configs({{config::ConfigKind::platform, "h800"}}, {});
  const CollectiveSpec spec = mpft_alltoall(state, true);
  double us = 0;
  for (auto _ : state) us = emulate_collective(*run.platform, run.proposal, spec).front().time_us;
  state.counters["simulated_us"] = us;
}
BENCHMARK(BM_MpftAlltoallFlow)
    ->ArgName("gpus")
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

// The calendar alone (no simulation running, so nothing is forgotten): 4096 bookings on a fresh
// server per iteration. Patterns: 0 back to back in time order (the common case), 1 in time order
// with gaps, 2 out of order within a 50 us horizon (arrival-triggered work booked ahead), 3 out of
// order over the whole 4 ms at 40 % load (a receiver of an all-to-all over thousands of GPUs: every
// sender books its whole exchange ahead, so the calendar grows to thousands of intervals).
void BM_BandwidthServer(benchmark::State& state) {
  constexpr int kBookings = 4096;
  const int pattern = static_cast<int>(state.range(0));
  std::mt19937_64 rng(7);
  std::vector<sc_time> arrivals;
  for (int i = 0; i < kBookings; ++i) {
    switch (pattern) {
      case 0: arrivals.push_back(microseconds(0.1 * i)); break;
      case 1: arrivals.push_back(microseconds(1.0 * i)); break;
      case 2: arrivals.push_back(microseconds(0.1 * i + std::uniform_real_distribution<double>(0, 50)(rng))); break;
      default: arrivals.push_back(microseconds(std::uniform_real_distribution<double>(0, kBookings)(rng))); break;
    }
  }
  const uint64_t bytes = 16000;  // 0.4 us at 40 GB/s
  for (auto _ : state) {
    BandwidthServer s("nic.rx", 40.0);
    for (const sc_time& a : arrivals) benchmark::DoNotOptimize(s.serve(a, bytes));
    benchmark::DoNotOptimize(s.free_at());
  }
  state.SetItemsProcessed(state.iterations() * kBookings);
}
BENCHMARK(BM_BandwidthServer)->ArgName("pattern")->Arg(0)->Arg(1)->Arg(2)->Arg(3);

}  // namespace

BENCHMARK_MAIN();

// Throughput of the synthetic router: tokens routed per second.
// Run: build/<dir>/bench/bench_routing   (items_per_second = tokens/s)
// Per-core speed: the threads:1 rows, e.g. --benchmark_filter=threads:1 --benchmark_repetitions=5.
#include <benchmark/benchmark.h>

#include <tbb/global_control.h>

#include <memory>
#include <string>

#include "workloads/routing.h"

namespace {

using hwlab::workloads::ExpertPopularity;
using hwlab::workloads::generate_routing;
using hwlab::workloads::RoutingParams;

// Arguments: popularity (0 uniform, 1 zipf, 2 hot_experts), threads (0 = TBB's default), tokens per
// batch (4096; 128 is one GPU's decode micro-batch, where the per-call set-up counts too).
void BM_GenerateRouting(benchmark::State& state) {
  RoutingParams params;  // DeepSeek-V3: 256 experts, top-8, 8 groups, 4 groups per token
  params.popularity = static_cast<ExpertPopularity>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const int tokens = static_cast<int>(state.range(2));
  std::unique_ptr<tbb::global_control> limit;
  if (threads > 0)
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<size_t>(threads));
  uint64_t stream = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(generate_routing(params, tokens, stream++));
  }
  state.SetItemsProcessed(state.iterations() * tokens);
  state.SetLabel(threads > 0 ? std::to_string(threads) + " thread(s)" : "all threads");
}
BENCHMARK(BM_GenerateRouting)
    ->ArgNames({"popularity", "threads", "tokens"})
    ->Args({0, 1, 4096})
    ->Args({1, 1, 4096})
    ->Args({2, 1, 4096})
    ->Args({0, 1, 128})
    ->Args({1, 1, 128})
    ->Args({0, 0, 4096})
    ->Args({1, 0, 4096})
    ->Args({2, 0, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

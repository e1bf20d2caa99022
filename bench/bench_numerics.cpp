// Throughput of the FP8 numerics models: block-MACs per second (one MAC = one a*b product taken
// through the block-FMA model, alignment, chaining and promotion included).
//   build/numerics/bench/bench_numerics --benchmark_filter=Gemm
// The figure to quote is block_MACs_per_s of Gemm/h100_fp8_per_tensor_nc128_1thread.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"

using namespace hwlab::numerics;

namespace {

constexpr int kHidden = 7168;  // DeepSeek-V3 hidden size: the K of the expert up-projections

GemmProblem random_problem(int m, int n, int k, ScaleGranularity g) {
  std::mt19937_64 rng(42);
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.format = Format::e4m3;
  auto fill = [&](std::vector<uint8_t>& v, size_t count) {
    v.resize(count);
    for (auto& code : v) {
      do {
        code = static_cast<uint8_t>(rng());
      } while (is_nan_code(Format::e4m3, code));
    }
  };
  fill(p.a, static_cast<size_t>(m) * k);
  fill(p.b, static_cast<size_t>(n) * k);
  p.scales.granularity = g;
  const int kt = (k + kDeepSeekTile - 1) / kDeepSeekTile;
  const int kg = (k + kMxBlock - 1) / kMxBlock;
  if (g == ScaleGranularity::deepseek) {
    p.scales.a.assign(static_cast<size_t>(m) * kt, 0.37f);
    p.scales.b.assign(static_cast<size_t>((n + kDeepSeekTile - 1) / kDeepSeekTile) * kt, 1.7f);
  } else if (g == ScaleGranularity::mx) {
    p.scales.a_ue8m0.assign(static_cast<size_t>(m) * kg, 0x7E);
    p.scales.b_ue8m0.assign(static_cast<size_t>(n) * kg, 0x81);
  }
  return p;
}

void Gemm(benchmark::State& state, const char* model_name, ScaleGranularity g, int promotion,
          bool inside, bool reference, int threads, int mn) {
  const BlockFmaModel model = preset(model_name);
  const GemmProblem p = random_problem(mn, mn, kHidden, g);
  GemmOptions o;
  o.promotion_interval = promotion;
  o.group_scaled_mma = inside;
  o.reference_kernel = reference;
  o.threads = threads;
  state.SetLabel(gemm_has_fast_kernel(model, p, o) ? "fast kernel" : "general kernel");
  for (auto _ : state) {
    std::vector<float> out = gemm(model, p, o);
    benchmark::DoNotOptimize(out.data());
  }
  const double macs = static_cast<double>(p.m) * p.n * p.k;
  state.counters["block_MACs_per_s"] =
      benchmark::Counter(macs, benchmark::Counter::kIsIterationInvariantRate);
}

void BlockFma(benchmark::State& state) {
  const BlockFmaModel model = preset("h100-fp8");
  std::mt19937_64 rng(1);
  std::vector<double> a(32 * 1024), b(32 * 1024);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = decode(Format::e4m3, static_cast<uint32_t>(rng() % 0x7F));
    b[i] = decode(Format::e4m3, static_cast<uint32_t>(rng() % 0x7F));
  }
  float c = 0.0f;
  for (auto _ : state) {
    for (size_t blk = 0; blk < 1024; ++blk) {
      c = block_fma(model, a.data() + 32 * blk, b.data() + 32 * blk, 32, c * 0.0f, Format::e4m3);
    }
    benchmark::DoNotOptimize(c);
  }
  state.counters["block_MACs_per_s"] =
      benchmark::Counter(32.0 * 1024, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

using G = ScaleGranularity;
BENCHMARK_CAPTURE(Gemm, h100_fp8_per_tensor_nc128_1thread, "h100-fp8", G::per_tensor, 128, false, false, 1, 64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, h100_fp8_deepseek_nc128_1thread, "h100-fp8", G::deepseek, 128, false, false, 1, 64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, h100_fp8_mx_inside_nc0_1thread, "h100-fp8", G::mx, 0, true, false, 1, 64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, acc20_per_tensor_nc128_1thread, "acc-20", G::per_tensor, 128, false, false, 1, 64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, ada_fp8_per_tensor_nc128_1thread, "ada-fp8", G::per_tensor, 128, false, false, 1, 64)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, h100_fp8_per_tensor_nc128_all_threads, "h100-fp8", G::per_tensor, 128, false, false, 0, 128)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
// The general kernel (every model, every option), for comparison.
BENCHMARK_CAPTURE(Gemm, h100_fp8_general_kernel_1thread, "h100-fp8", G::per_tensor, 128, false, true, 1, 16)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, exact_per_tensor_nc128_1thread, "exact", G::per_tensor, 128, false, false, 1, 16)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Gemm, fp32_fma_per_tensor_nc128_1thread, "fp32-fma", G::per_tensor, 128, false, false, 1, 16)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BlockFma)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();

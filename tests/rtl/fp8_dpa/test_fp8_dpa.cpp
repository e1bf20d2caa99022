// The FP8 dot-product-accumulate unit (rtl/fp8_dpa) against the C++ models of isa/numerics, every
// output bit, through the unit's valid/ready interface with random gaps and back-pressure:
//   - crafted vectors: the probes' (isa/numerics/probe_inputs.h, every feature and variant, both
//     formats, chained through the unit where they span several blocks) and special values (NaN,
//     infinities, zeros of both signs, subnormals, the largest normals, cancellation);
//   - random vectors: random codes of both formats in several styles, random C including specials.
// Environment:
//   HWLAB_RTL_VECTORS=N   random vectors per variant (default 20000; the full check runs 1000000)
//   HWLAB_RTL_SEED=S      random seed (default 1)
//   HWLAB_RTL_TRACE=FILE  re-run the first failing vector with an FST waveform into FILE (needs the
//                         traced bench: cmake --build <dir> --target test_rtl_fp8_dpa_traced)
// A mismatch is a finding about the RTL: the models were checked against H100/H200 hardware.
//
// Files (one job each):
//   fp8_dpa_bench.h/.cpp          the references (isa/numerics) and the driver: run_stream() streams
//                                 vectors through a Verilated model, report() prints and checks a run
//   fp8_dpa_vectors.h/.cpp        the vectors: crafted chains, special values, random inputs
//   test_fp8_dpa_crafted.cpp      crafted and special vectors, every variant
//   test_fp8_dpa_random.cpp       random vectors, every variant
//   test_fp8_dpa_variants.cpp     the variant table against isa/numerics, each model's latency
//   test_fp8_dpa.cpp (this file)  the bench itself: its group-scaled reference against
//                                 numerics::gemm, streaming without back-pressure, FST waveforms
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "fp8_dpa_bench.h"
#include "fp8_dpa_vectors.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"

using hwlab::rtl::Fp8DpaInput;
using hwlab::rtl::Fp8DpaVariant;
using namespace hwlab::rtl::fp8_dpa_test;  // the bench; nx = hwlab::numerics

TEST_CASE("fp8_dpa: the group-scaled reference is numerics::gemm's group-scaled MMA", "[rtl][fp8_dpa]") {
  // gemm() starts each block from C = +0 and adds it to an FP32 accumulator that starts at +0:
  // D = 0 + block(C = +0), which turns a -0 into +0.
  const nx::BlockFmaModel model = nx::preset("h100-fp8");
  const Fp8DpaVariant& v = variant("h100-fp8-mx");
  std::mt19937_64 rng(7);
  int compared = 0;
  for (int t = 0; t < 400; ++t) {
    Fp8DpaInput in = random_input(rng, v);
    if (in.scale_a == 0xFF || in.scale_b == 0xFF) continue;
    in.c = 0;
    nx::GemmProblem p;
    p.m = p.n = 1;
    p.k = 32;
    p.format = format_of(in);
    p.a.assign(in.a, in.a + 32);
    p.b.assign(in.b, in.b + 32);
    p.scales.granularity = nx::ScaleGranularity::mx;
    p.scales.a_ue8m0 = {in.scale_a};
    p.scales.b_ue8m0 = {in.scale_b};
    nx::GemmOptions o;
    o.promotion_interval = 32;
    o.group_scaled_mma = true;
    o.threads = 1;
    const uint32_t from_gemm = nx::float_bits(nx::gemm(model, p, o)[0]);
    uint32_t ours = scaled_block(model, in, 32);
    if (ours == 0x80000000u) ours = 0;
    INFO(describe(in, 32, true));
    CHECK(ours == from_gemm);
    ++compared;
  }
  CHECK(compared > 350);
}

TEST_CASE("fp8_dpa: one block per cycle without back-pressure, results in order", "[rtl][fp8_dpa]") {
  for (const char* name : {"h100-fp8", "fp32-acc", "exact"}) {
    const Fp8DpaVariant& v = variant(name);
    const Reference ref(v);
    auto sim = hwlab::rtl::make_fp8_dpa_sim(name);
    std::mt19937_64 rng(3);
    const RunResult r = run_stream(*sim, 200, [&](uint64_t) { return random_input(rng, v); }, ref, rng,
                                   Pressure{100, 100});
    INFO(name << ": " << sim->cycles() << " cycles for 200 blocks");
    CHECK(r.mismatches == 0);
    // reset (2) + 200 accepted back to back + the pipeline's latency (4 stages; 8 for fp32-acc)
    CHECK(sim->cycles() <= 2 + 200 + 8);
  }
}

TEST_CASE("fp8_dpa: FST waveform of a vector (traced bench only)", "[rtl][fp8_dpa]") {
  if (!hwlab::rtl::tracing_available()) {
    SUCCEED("built without tracing (test_rtl_fp8_dpa_traced has it)");
    return;
  }
  const std::string path = (std::filesystem::temp_directory_path() / "hwlab_fp8_dpa_trace_test.fst").string();
  std::remove(path.c_str());
  {
    const Fp8DpaVariant& v = variant("h100-fp8");
    const Reference ref(v);
    auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name, path);
    std::mt19937_64 rng(5);
    const RunResult r = run_stream(*sim, 4, [&](uint64_t) { return random_input(rng, v); }, ref, rng,
                                   Pressure{100, 100});
    CHECK(r.mismatches == 0);
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  const int block_type = std::fgetc(f);  // an FST file starts with its header block (type 0)
  std::fclose(f);
  CHECK(size > 1000);
  CHECK(block_type == 0);
  std::remove(path.c_str());
}

// Random vectors through every variant of the FP8 dot-product-accumulate unit (the overview and
// the environment knobs: test_fp8_dpa.cpp): HWLAB_RTL_VECTORS per variant, one random stream per
// variant from HWLAB_RTL_SEED.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "fp8_dpa_bench.h"
#include "fp8_dpa_vectors.h"

using hwlab::rtl::Fp8DpaVariant;
using namespace hwlab::rtl::fp8_dpa_test;  // the bench

namespace {

void check_random(const std::string& name) {
  const Fp8DpaVariant& v = variant(name);
  const Reference ref(v);
  auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
  REQUIRE(sim != nullptr);
  const uint64_t count = env_u64("HWLAB_RTL_VECTORS", 20000);
  uint64_t name_hash = 0xCBF29CE484222325ull;  // FNV-1a: a stream per variant, the same everywhere
  for (char ch : name) name_hash = (name_hash ^ static_cast<unsigned char>(ch)) * 0x100000001B3ull;
  std::mt19937_64 rng(env_u64("HWLAB_RTL_SEED", 1) * 0x9E3779B97F4A7C15ull + name_hash);
  std::mt19937_64 gen_rng = rng;
  gen_rng.discard(7);
  const RunResult r = run_stream(*sim, count, [&](uint64_t) { return random_input(gen_rng, v); }, ref, rng,
                                 Pressure{85, 75});
  report(v, "random", r);
}

}  // namespace

TEST_CASE("fp8_dpa h100-fp8: random vectors", "[rtl][fp8_dpa]") { check_random("h100-fp8"); }
TEST_CASE("fp8_dpa ada-fp8: random vectors", "[rtl][fp8_dpa]") { check_random("ada-fp8"); }
TEST_CASE("fp8_dpa acc-16: random vectors", "[rtl][fp8_dpa]") { check_random("acc-16"); }
TEST_CASE("fp8_dpa acc-20: random vectors", "[rtl][fp8_dpa]") { check_random("acc-20"); }
TEST_CASE("fp8_dpa acc-25: random vectors", "[rtl][fp8_dpa]") { check_random("acc-25"); }
TEST_CASE("fp8_dpa acc-16-rne: random vectors", "[rtl][fp8_dpa]") { check_random("acc-16-rne"); }
TEST_CASE("fp8_dpa fp32-acc: random vectors", "[rtl][fp8_dpa]") { check_random("fp32-acc"); }
TEST_CASE("fp8_dpa exact: random vectors", "[rtl][fp8_dpa]") { check_random("exact"); }
TEST_CASE("fp8_dpa h100-fp8-mx: random vectors", "[rtl][fp8_dpa]") { check_random("h100-fp8-mx"); }

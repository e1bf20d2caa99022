// Crafted and special vectors through every variant of the FP8 dot-product-accumulate unit (the
// overview and the environment knobs: test_fp8_dpa.cpp). Chains longer than one block go through
// the unit block by block, C = the unit's own D, and must also equal the model's dot() over K.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp8_dpa_bench.h"
#include "fp8_dpa_vectors.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"

using hwlab::rtl::Fp8DpaInput;
using hwlab::rtl::Fp8DpaVariant;
using namespace hwlab::rtl::fp8_dpa_test;  // the bench; nx = hwlab::numerics

namespace {

void check_crafted(const std::string& name) {
  const Fp8DpaVariant& v = variant(name);
  const Reference ref(v);
  auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
  REQUIRE(sim != nullptr);
  std::vector<Chain> chains = crafted_chains(v);
  std::mt19937_64 rng(env_u64("HWLAB_RTL_SEED", 1));
  // Round j sends block j of every chain that has one, C = the unit's D of block j - 1.
  std::vector<uint32_t> acc(chains.size());
  for (size_t i = 0; i < chains.size(); ++i) acc[i] = chains[i].c;
  RunResult total;
  for (size_t round = 0;; ++round) {
    std::vector<size_t> active;
    for (size_t i = 0; i < chains.size(); ++i) {
      if (round < chains[i].blocks.size()) active.push_back(i);
    }
    if (active.empty()) break;
    std::vector<Fp8DpaInput> inputs;
    for (size_t i : active) {
      Fp8DpaInput in = chains[i].blocks[round];
      in.c = acc[i];
      inputs.push_back(in);
    }
    const RunResult r = run_stream(*sim, inputs.size(), [&](uint64_t j) { return inputs[j]; }, ref, rng,
                                   Pressure{}, true);
    REQUIRE(r.outputs.size() == active.size());
    for (size_t j = 0; j < active.size(); ++j) acc[active[j]] = r.outputs[j];
    total.add(r);
  }
  report(v, "crafted", total);
  // Chains longer than one block also equal the model's dot() over all of K (every model here
  // rounds between blocks, except `exact`, whose dot() is one exact sum over K).
  if (!v.scaled && ref.model.normalize_each_block) {
    int checked = 0;
    for (size_t i = 0; i < chains.size(); ++i) {
      std::vector<double> a(chains[i].a.size()), b(chains[i].b.size());
      const nx::Format f = chains[i].e5m2 ? nx::Format::e5m2 : nx::Format::e4m3;
      for (size_t j = 0; j < a.size(); ++j) {
        a[j] = nx::decode(f, chains[i].a[j]);
        b[j] = nx::decode(f, chains[i].b[j]);
      }
      // dot() chains the model's own blocks: for fp32-acc (one product per block) and units of
      // N = products_per_block they are the unit's inputs.
      const uint32_t want = nx::float_bits(nx::dot(ref.model, a.data(), b.data(), static_cast<int>(a.size()),
                                                   nx::float_from_bits(chains[i].c), f));
      INFO("chain " << i << " K=" << a.size() << ": rtl " << hex32(acc[i]) << ", dot " << hex32(want));
      CHECK(acc[i] == want);
      ++checked;
    }
    CHECK(checked > 100);
  }
}

}  // namespace

TEST_CASE("fp8_dpa h100-fp8: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("h100-fp8"); }
TEST_CASE("fp8_dpa ada-fp8: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("ada-fp8"); }
TEST_CASE("fp8_dpa acc-16: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-16"); }
TEST_CASE("fp8_dpa acc-20: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-20"); }
TEST_CASE("fp8_dpa acc-25: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-25"); }
TEST_CASE("fp8_dpa acc-16-rne: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-16-rne"); }
TEST_CASE("fp8_dpa fp32-acc: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("fp32-acc"); }
TEST_CASE("fp8_dpa exact: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("exact"); }
TEST_CASE("fp8_dpa h100-fp8-mx: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("h100-fp8-mx"); }

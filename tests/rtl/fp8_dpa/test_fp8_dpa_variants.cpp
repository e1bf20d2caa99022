// The variant table of the FP8 dot-product-accumulate unit (rtl/fp8_dpa/fp8_dpa_variants.h)
// against isa/numerics, and each Verilated model's latency (the overview: test_fp8_dpa.cpp).
#include <catch2/catch.hpp>

#include "fp8_dpa_bench.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/presets.h"
#include "isa/numerics/probe_inputs.h"

using hwlab::rtl::Fp8DpaInput;
using hwlab::rtl::Fp8DpaVariant;
using namespace hwlab::rtl::fp8_dpa_test;  // the bench; nx = hwlab::numerics

// The variant table (fp8_dpa_variants.h) is the one list of parameter values: fp8_dpa.cmake makes
// each Verilated model from it, `hwlab rtl area` gives it to Yosys. Its values must be those of the
// isa/numerics model the row names (the random vectors check the same through behaviour), and
// every row must have its model, with its ARCH's latency.
TEST_CASE("fp8_dpa: every variant's parameters are its isa/numerics model's", "[rtl][fp8_dpa]") {
  using Arch = hwlab::rtl::Fp8DpaArch;
  using M = nx::BlockFmaModel;
  for (const Fp8DpaVariant& v : hwlab::rtl::kFp8DpaVariants) {
    INFO(v.name << " (model " << v.model << ")");
    const M m = nx::preset(v.model);
    CHECK(m.c_placement == M::CPlacement::aligned_with_products);
    CHECK(m.product_exponent == M::ProductExponent::operand_exponent_sum);
    CHECK(!m.operand_format.has_value());
    CHECK((v.products >= 1 && v.products <= 32));  // Fp8DpaInput holds 32 codes, one scale group
    CHECK((v.scaled == 0 || v.arch == Arch::block));
    switch (v.arch) {
      case Arch::block:
        CHECK(!m.exact);
        CHECK(m.normalize_each_block);
        CHECK(v.products == m.products_per_block);
        CHECK(v.align_bits == m.alignment_fraction_bits);
        CHECK(m.align_rounding == (v.align_rne != 0 ? M::AlignRounding::nearest_even
                                                     : M::AlignRounding::truncate_toward_zero));
        CHECK(v.result_bits == m.result_fraction_bits);
        CHECK(m.result_rounding == (v.result_rne != 0 ? M::ResultRounding::nearest_even
                                                       : M::ResultRounding::toward_zero));
        break;
      case Arch::fp32_chain:  // N one-product exact FMA steps, each RNE to FP32
        CHECK(m.exact);
        CHECK(m.products_per_block == 1);
        CHECK(m.result_fraction_bits == 23);
        CHECK(m.result_rounding == M::ResultRounding::nearest_even);
        break;
      case Arch::exact:  // one exact block of N products, RNE to FP32 once
        CHECK(m.exact);
        CHECK(v.products == m.products_per_block);
        CHECK(m.result_fraction_bits == 23);
        CHECK(m.result_rounding == M::ResultRounding::nearest_even);
        break;
    }
    if (v.arch != Arch::block) {  // block parameters are 0 elsewhere (the unit ignores them)
      CHECK(v.align_bits + v.align_rne + v.result_bits + v.result_rne + v.scaled == 0);
    }

    // The Verilated model exists and has its ARCH's latency: the first output is valid this many
    // edges after acceptance (4 stages; fp32 chain: N / 4 stages of 4 FMA steps).
    auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
    REQUIRE(sim != nullptr);
    const int latency = v.arch == Arch::fp32_chain ? v.products / 4 : 4;
    sim->reset();
    Fp8DpaInput in;
    for (int i = 0; i < v.products; ++i) in.a[i] = in.b[i] = nx::probe::pow2_code(false, 0);  // 1 * 1
    sim->drive(true, in, true);
    REQUIRE(sim->in_ready());
    sim->clock();
    int edges = 1;
    for (; edges < 64; ++edges) {
      sim->drive(false, in, true);
      if (sim->out_valid()) break;
      sim->clock();
    }
    CHECK(edges == latency);
    // Exactly N products are read: D = N * 1 + 0.
    CHECK(sim->out_d() == f32(static_cast<float>(v.products)));
  }
}

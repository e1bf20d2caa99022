// The probes' crafted vectors tell each model feature from its neighbour; the promotion probe reads
// the promotion interval back; preset modifiers; the accumulation study (smoke, with values that
// could be wrong).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "isa/numerics/probe_inputs.h"
#include "isa/numerics/study.h"

using namespace hwlab::numerics;

namespace {

// D of crafted pair (what, variant) under `model`, K = k.
uint32_t crafted_bits(const std::string& model, probe::Crafted what, int variant, bool e5m2, int k = 32) {
  std::vector<uint8_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
  uint32_t c = 0;
  probe::crafted_pair(what, variant, e5m2, k, a.data(), b.data(), &c);
  const Format f = e5m2 ? Format::e5m2 : Format::e4m3;
  std::vector<double> av(a.size()), bv(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    av[i] = decode(f, a[i]);
    bv[i] = decode(f, b[i]);
    REQUIRE(av[i] == probe::fp8_value(e5m2, a[i]));
  }
  return float_bits(dot(preset(model), av.data(), bv.data(), k, float_from_bits(c), f));
}

// Some variant of `what` gives different bits under the two models.
bool tells_apart(probe::Crafted what, const std::string& m1, const std::string& m2, bool e5m2, int k = 32) {
  for (int v = 0; v < probe::kCraftedVariants; ++v) {
    if (crafted_bits(m1, what, v, e5m2, k) != crafted_bits(m2, what, v, e5m2, k)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("crafted vectors tell h100-fp8 from each neighbour", "[fp8probe]") {
  using C = probe::Crafted;
  for (bool e5m2 : {false, true}) {
    INFO("e5m2 " << e5m2);
    CHECK(tells_apart(C::c_placement, "h100-fp8", "h100-fp8,c=after", e5m2));
    CHECK(tells_apart(C::alignment, "h100-fp8", "h100-fp8,F=12", e5m2));
    CHECK(tells_apart(C::alignment, "h100-fp8", "h100-fp8,F=14", e5m2));
    CHECK(tells_apart(C::negative, "h100-fp8", "h100-fp8,align=floor", e5m2));
    CHECK(tells_apart(C::negative, "h100-fp8", "h100-fp8,align=rne", e5m2));
    CHECK(tells_apart(C::block_size, "h100-fp8", "ada-fp8", e5m2));
    CHECK(tells_apart(C::result_bits, "h100-fp8", "h100-fp8,result=23", e5m2));
    CHECK(tells_apart(C::result_bits, "h100-fp8", "h100-fp8,round=rne", e5m2));
    CHECK(tells_apart(C::product_exp, "h100-fp8", "h100-fp8,pexp=norm", e5m2));
    // A chain of k32 instructions is four 32-product blocks, not one 128-product block.
    CHECK(tells_apart(C::chain, "h100-fp8", "h100-fp8,block=128", e5m2, 128));
    // Subnormal operands: the exponent field's minimum, or their true exponent.
    CHECK(tells_apart(C::subnormal, "h100-fp8", "h100-fp8,operand=fp32", e5m2));
    // The FP16 path: 25 alignment bits, 16 products per block.
    CHECK(tells_apart(C::wide_alignment, "h100-fp16", "h100-fp16,F=23", e5m2));
    CHECK(tells_apart(C::wide_alignment, "h100-fp16", "h100-fp16,F=27", e5m2));
    CHECK(tells_apart(C::block_size, "h100-fp16", "h100-fp16,block=32", e5m2));
  }
}

TEST_CASE("crafted values are exact in both formats", "[fp8probe]") {
  for (int e = -9; e <= 8; ++e) {
    CHECK(probe::fp8_value(false, probe::pow2_code(false, e)) == std::ldexp(1.0, e));
    CHECK(probe::fp8_value(true, probe::pow2_code(true, e)) == std::ldexp(1.0, e));
  }
  CHECK(probe::fp8_value(false, probe::pow2_code(false, -3, true, true)) == -1.5 * 0.125);
  // quantize: nearest, ties to even, saturating; agrees with the library's encoder.
  for (double x : {0.0, 1e-9, 0.3, -0.3, 1.0625, 1.1875, 17.0, 449.0, 1e6, -1e6, 0.00195}) {
    CHECK(probe::quantize(false, x) == encode(Format::e4m3, x, Saturation::finite));
    CHECK(probe::quantize(true, x) == encode(Format::e5m2, x, Saturation::finite));
  }
}

TEST_CASE("the promotion probe reads the interval back from the model", "[fp8probe]") {
  const int k = 2048, m = 64;
  GemmProblem p;
  p.m = m;
  p.n = 16;
  p.k = k;
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk) p.a.push_back(probe::promotion_probe_a(false, i, kk, k));
  for (int j = 0; j < 16; ++j)
    for (int kk = 0; kk < k; ++kk) p.b.push_back(probe::promotion_probe_b(false, j, 16));
  for (int nc : {64, 128, 256}) {
    GemmOptions o;
    o.promotion_interval = nc;
    const std::vector<float> d = gemm(preset("h100-fp8"), p, o);
    int longest = 0;
    for (int i = 0; i < m; ++i) {
      const double survivors = (d[static_cast<size_t>(i) * 16] - 256.0) / std::ldexp(1.0, -6);
      longest = std::max(longest, (k - 1) - static_cast<int>(std::lround(survivors)));
      CHECK(d[static_cast<size_t>(i) * 16 + 15] == -d[static_cast<size_t>(i) * 16]);  // B = -1 rows
    }
    CHECK(longest + 1 == nc);
  }
}

TEST_CASE("preset modifiers build hypotheses and refuse bad ones", "[fp8probe]") {
  const BlockFmaModel m = preset("h100-fp8,c=after,block=16,F=14,align=floor,result=20,round=rne,pexp=norm,chain=exact");
  CHECK(m.c_placement == BlockFmaModel::CPlacement::added_after);
  CHECK(m.products_per_block == 16);
  CHECK(m.alignment_fraction_bits == 14);
  CHECK(m.align_rounding == BlockFmaModel::AlignRounding::truncate_toward_neg_inf);
  CHECK(m.result_fraction_bits == 20);
  CHECK(m.result_rounding == BlockFmaModel::ResultRounding::nearest_even);
  CHECK(m.product_exponent == BlockFmaModel::ProductExponent::normalized);
  CHECK_FALSE(m.normalize_each_block);
  CHECK_THROWS_WITH(preset("h100-fp8,c=before"), Catch::Contains("c must be aligned|after, found 'before'"));
  CHECK_THROWS_WITH(preset("h100-fp8,G=1"), Catch::Contains("unknown modifier 'G=1'"));
  CHECK_THROWS_WITH(preset("h100-fp8,result=30"), Catch::Contains("result_fraction_bits must be in [1, 23]"));
  CHECK_THROWS_WITH(preset("h100-fp8,block=x"), Catch::Contains("block needs a non-negative integer"));
  CHECK_THROWS_AS(preset("h100-fp9,c=after"), hwlab::UserError);
}

TEST_CASE("study smoke: promotion and wider accumulators reduce the error", "[fp8probe]") {
  StudyConfig c;
  c.m = c.n = 8;
  c.ks = {256, 4096};
  c.presets = {"h100-fp8", "acc-20", "fp32-acc"};
  c.promotions = {0, 128};
  c.inputs = {probe::Style::normal, probe::Style::uniform01};
  const std::vector<StudyCell> cells = run_study(c);
  REQUIRE(cells.size() == 3 * 2 * 2 * 2);
  auto cell = [&](const std::string& p, int nc, probe::Style s, int k) {
    for (const StudyCell& x : cells) {
      if (x.preset == p && x.promotion == nc && x.input == s && x.k == k) return x;
    }
    FAIL("no cell");
    return cells[0];
  };
  for (probe::Style s : c.inputs) {
    const StudyCell none = cell("h100-fp8", 0, s, 4096), nc128 = cell("h100-fp8", 128, s, 4096);
    CHECK(none.normwise_rel_err > 2 * nc128.normwise_rel_err);          // promotion helps at K = 4096
    CHECK(none.normwise_rel_err > cell("h100-fp8", 0, s, 256).normwise_rel_err);  // error grows with K
    CHECK(cell("acc-20", 0, s, 4096).normwise_rel_err < nc128.normwise_rel_err);
    const StudyCell fp32 = cell("fp32-acc", 0, s, 4096);
    CHECK(fp32.normwise_rel_err < 1e-6);
    CHECK(fp32.max_elem_rel_err >= fp32.median_elem_rel_err);
  }
  // U(0,1) products are positive: truncation only loses, so h100-fp8 without promotion is a clear
  // underestimate, around 2^-13 relative per block times the number of blocks, capped by 13 bits.
  CHECK(cell("h100-fp8", 0, probe::Style::uniform01, 4096).median_elem_rel_err > 1e-4);
  c.promotions = {48};
  CHECK_THROWS_WITH(run_study(c), Catch::Contains("not a multiple of h100-fp8's 32 products per block"));
}

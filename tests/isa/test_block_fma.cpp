// Block-FMA models: crafted vectors that tell each model feature from its neighbour, each with the
// expected FP32 bits worked out by hand (the comments show the arithmetic), plus agreement with
// independent references (std::fma chains, exact double sums) on random vectors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/presets.h"

using namespace hwlab::numerics;
using Model = BlockFmaModel;

namespace {

uint32_t bits_of(const Model& m, const std::vector<double>& a, const std::vector<double>& b,
                 float c = 0.0f, Format f = Format::e4m3) {
  REQUIRE(a.size() == b.size());
  return float_bits(block_fma(m, a.data(), b.data(), static_cast<int>(a.size()), c, f));
}

uint32_t dot_bits(const Model& m, const std::vector<double>& a, const std::vector<double>& b,
                  float c = 0.0f, Format f = Format::e4m3) {
  REQUIRE(a.size() == b.size());
  return float_bits(dot(m, a.data(), b.data(), static_cast<int>(a.size()), c, f));
}

std::vector<double> random_e4m3(std::mt19937_64& rng, int n) {
  std::vector<double> v;
  while (static_cast<int>(v.size()) < n) {
    const uint8_t code = static_cast<uint8_t>(rng());
    if (is_nan_code(Format::e4m3, code)) continue;
    v.push_back(decode(Format::e4m3, code));
  }
  return v;
}

}  // namespace

TEST_CASE("presets resolve and report unknown names with the nearest one", "[numerics][block_fma]") {
  for (const char* name : {"h100-fp8", "h100-fp8-mma-sync", "h100-fp16", "ada-fp8", "fp32-fma",
                           "exact", "fp32-acc", "acc-10", "acc-16", "acc-25", "acc-40"}) {
    INFO(name);
    const Model m = preset(name);
    CHECK(m.name == name);
    CHECK(check_model(m).empty());
    CHECK_FALSE(m.source.empty());
  }
  const Model h = preset("h100-fp8");
  CHECK(h.products_per_block == 32);
  CHECK(h.alignment_fraction_bits == 13);
  CHECK(h.align_rounding == Model::AlignRounding::truncate_toward_zero);
  CHECK(h.c_placement == Model::CPlacement::aligned_with_products);
  CHECK(h.result_fraction_bits == 13);
  CHECK(h.result_rounding == Model::ResultRounding::toward_zero);
  CHECK(preset("acc-20").alignment_fraction_bits == 20);
  CHECK(preset("acc-20").result_fraction_bits == 20);
  CHECK(preset("acc-30").result_fraction_bits == 23);
  CHECK(preset("ada-fp8").products_per_block == 16);

  try {
    preset("h100-fp9");
    FAIL("no error");
  } catch (const hwlab::UserError& e) {
    const std::string what = e.what();
    CHECK(what.find("nearest: h100-fp8") != std::string::npos);
    CHECK(what.find("fp32-acc") != std::string::npos);
    CHECK(what.find("acc-<F>") != std::string::npos);
  }
  CHECK_THROWS_AS(preset("acc-9"), hwlab::UserError);
  CHECK_THROWS_AS(preset("acc-41"), hwlab::UserError);
  CHECK_THROWS_AS(preset("acc-x"), hwlab::UserError);
}

TEST_CASE("one more alignment bit keeps a product that 13 bits drop", "[numerics][block_fma]") {
  // 16*16 = 256 sets E = 8 (grid 2^-5 with F = 13, 2^-6 with F = 14); 0.125*0.125 = 2^-6.
  const std::vector<double> a{16, 0.125}, b{16, 0.125};
  CHECK(bits_of(preset("h100-fp8"), a, b) == 0x43800000u);  // 256
  CHECK(bits_of(preset("acc-13"), a, b) == 0x43800000u);
  CHECK(bits_of(preset("acc-14"), a, b) == 0x43800200u);    // 256 + 2^-6
  CHECK(bits_of(preset("exact"), a, b) == 0x43800200u);
}

TEST_CASE("16-product blocks keep what one 32-product block drops", "[numerics][block_fma]") {
  // Sixteen products 2^-4 * 2^-4 = 2^-8, then 16 * 16 = 256, then zeros.
  std::vector<double> a(32, 0.0), b(32, 0.0);
  for (int i = 0; i < 16; ++i) a[i] = b[i] = 0.0625;
  a[16] = b[16] = 16;
  // h100-fp8: one block, E = 8, grid 2^-5: every 2^-8 truncates to 0.
  CHECK(dot_bits(preset("h100-fp8"), a, b) == 0x43800000u);
  // ada-fp8: the first block sums them to 2^-4, which survives as C of the second (grid 2^-5).
  CHECK(dot_bits(preset("ada-fp8"), a, b) == 0x43800800u);  // 256 + 2^-4
}

TEST_CASE("alignment truncation, rounding and two's complement differ", "[numerics][block_fma]") {
  Model rne = preset("h100-fp8");
  rne.align_rounding = Model::AlignRounding::nearest_even;
  Model twos = preset("h100-fp8");
  twos.align_rounding = Model::AlignRounding::truncate_toward_neg_inf;
  // 0.375 * 0.125 = 1.5 * 2^-5: 1.5 units of the grid 2^-5 set by 256.
  const std::vector<double> a{16, 0.375}, b{16, 0.125};
  CHECK(bits_of(preset("h100-fp8"), a, b) == 0x43800400u);  // 256 + 2^-5 (1 unit)
  CHECK(bits_of(twos, a, b) == 0x43800400u);
  CHECK(bits_of(rne, a, b) == 0x43800800u);                 // 256 + 2^-4 (tie to 2 units)
  // A negative small product: sign-magnitude truncation drops -2^-6, two's complement takes a unit.
  const std::vector<double> an{16, -0.125}, bn{16, 0.125};
  CHECK(bits_of(preset("h100-fp8"), an, bn) == 0x43800000u);  // 256
  CHECK(bits_of(twos, an, bn) == 0x437FF800u);                // 256 - 2^-5 = 255.96875
  CHECK(bits_of(rne, an, bn) == 0x43800000u);                 // -0.5 unit ties to 0
}

TEST_CASE("the result is truncated to 13 fraction bits, or rounded", "[numerics][block_fma]") {
  Model rne = preset("h100-fp8");
  rne.result_rounding = Model::ResultRounding::nearest_even;
  // 256 + 256 + 0.375*0.25 (= 3 * 2^-5, exact on the grid 2^-5). The sum 512 + 0.09375 has its
  // leading bit at 2^9, so 13 fraction bits leave a quantum of 2^-4: 1.5 quanta.
  const std::vector<double> a{16, 16, 0.375}, b{16, 16, 0.25};
  CHECK(bits_of(preset("h100-fp8"), a, b) == 0x44000400u);  // 512 + 2^-4
  CHECK(bits_of(rne, a, b) == 0x44000800u);                 // 512 + 2^-3
  CHECK(bits_of(preset("acc-23"), a, b) == 0x44000600u);    // 512 + 0.09375 exactly
  // C alone is cut to 13 bits too: 1 + 2^-20 with zero products.
  CHECK(bits_of(preset("h100-fp8"), {0.0}, {0.0}, float_from_bits(0x3F800008u)) == 0x3F800000u);
  CHECK(bits_of(preset("fp32-fma"), {0.0}, {0.0}, float_from_bits(0x3F800008u)) == 0x3F800008u);
}

TEST_CASE("C aligned with the products versus added after them", "[numerics][block_fma]") {
  Model inside = preset("h100-fp8");
  inside.result_fraction_bits = 23;
  Model after = inside;
  after.c_placement = Model::CPlacement::added_after;
  // Small C: 1*1 sets E = 0 (grid 2^-13), so C = 2^-20 is dropped when aligned.
  const float small = std::ldexp(1.0f, -20);
  CHECK(bits_of(inside, {1}, {1}, small) == 0x3F800000u);
  CHECK(bits_of(after, {1}, {1}, small) == 0x3F800008u);  // 1 + 2^-20
  // Large C: C = 1024 sets E = 10 (grid 2^-3) and drops the product 2^-6.
  CHECK(bits_of(inside, {0.125}, {0.125}, 1024.0f) == 0x44800000u);
  CHECK(bits_of(after, {0.125}, {0.125}, 1024.0f) == 0x44800080u);  // 1024 + 2^-6
}

TEST_CASE("products align on the operands' exponent sum, not their own", "[numerics][block_fma]") {
  Model normalized = preset("h100-fp8");
  normalized.product_exponent = Model::ProductExponent::normalized;
  // 3*3 = 9 has exponent sum 1+1 = 2 (significand 2.25) but is itself 1.125 * 2^3; -4 and 2^-11
  // follow. Exponent sum: grid 2^-11 keeps 2^-11; normalised: grid 2^-10 drops it.
  const std::vector<double> a{3, 2, 0.03125}, b{3, -2, 0.015625};
  CHECK(bits_of(preset("h100-fp8"), a, b) == 0x40A00400u);  // 5 + 2^-11
  CHECK(bits_of(normalized, a, b) == 0x40A00000u);          // 5
}

TEST_CASE("a subnormal operand counts with its format's minimum exponent", "[numerics][block_fma]") {
  // E4M3 0x01 = 2^-9 is 0.001b * 2^-6: the exponent adders see -6, so 2^-9 * 256 has exponent sum
  // 2 (grid 2^-11) and the product 2^-12 is dropped. As an FP32 operand 2^-9 is normal (exponent
  // -9, sum -1, grid 2^-14) and 2^-12 survives.
  const std::vector<double> a{std::ldexp(1.0, -9), 0.015625}, b{256, 0.015625};
  CHECK(bits_of(preset("h100-fp8"), a, b, 0.0f, Format::e4m3) == 0x3F000000u);  // 0.5
  CHECK(bits_of(preset("h100-fp8"), a, b, 0.0f, Format::fp32) == 0x3F001000u);  // 0.5 + 2^-12
  // A unit that reads FP16 operands sees E4M3's subnormals as normal FP16 numbers.
  Model fp16_reader = preset("h100-fp8");
  fp16_reader.operand_format = Format::fp16;
  CHECK(bits_of(fp16_reader, a, b, 0.0f, Format::e4m3) == 0x3F001000u);
}

TEST_CASE("special values", "[numerics][block_fma]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const char* name : {"h100-fp8", "fp32-fma", "exact", "ada-fp8"}) {
    INFO(name);
    const Model m = preset(name);
    CHECK(bits_of(m, {1, nan}, {1, 1}, 0.0f) == 0x7FFFFFFFu);
    CHECK(bits_of(m, {inf}, {0}, 0.0f, Format::e5m2) == 0x7FFFFFFFu);             // inf * 0
    CHECK(bits_of(m, {inf, inf}, {1, -1}, 0.0f, Format::e5m2) == 0x7FFFFFFFu);    // inf - inf
    CHECK(bits_of(m, {inf, 3}, {2, 5}, 1.0f, Format::e5m2) == 0x7F800000u);
    CHECK(bits_of(m, {1}, {1}, -std::numeric_limits<float>::infinity()) == 0xFF800000u);
    CHECK(bits_of(m, {-inf}, {2}, std::numeric_limits<float>::infinity(), Format::e5m2) ==
          0x7FFFFFFFu);
    CHECK(bits_of(m, {1}, {1}, std::numeric_limits<float>::quiet_NaN()) == 0x7FFFFFFFu);
    // Overflow beyond FP32: 2^127 * 2 as FP32 operands.
    CHECK(bits_of(m, {std::ldexp(1.0, 127)}, {2}, 0.0f, Format::fp32) == 0x7F800000u);
    CHECK(bits_of(m, {std::ldexp(1.0, 127)}, {-2}, 0.0f, Format::fp32) == 0xFF800000u);
  }
}

TEST_CASE("signed zeros follow IEEE addition", "[numerics][block_fma]") {
  for (const char* name : {"h100-fp8", "fp32-fma", "exact"}) {
    INFO(name);
    const Model m = preset(name);
    CHECK(bits_of(m, {-0.0}, {1}, -0.0f) == 0x80000000u);
    CHECK(bits_of(m, {-0.0, 0.0}, {1, -1}, -0.0f) == 0x80000000u);
    CHECK(bits_of(m, {-0.0}, {1}, 0.0f) == 0x00000000u);
    CHECK(bits_of(m, {1, -1}, {1, 1}, 0.0f) == 0x00000000u);
    CHECK(bits_of(m, {1, -1}, {1, 1}, -0.0f) == 0x00000000u);
  }
  CHECK(float_bits(std::fma(-0.0f, 1.0f, -0.0f)) == 0x80000000u);  // what fp32-fma mirrors
}

TEST_CASE("chaining: each block's result is the next block's C", "[numerics][block_fma]") {
  std::mt19937_64 rng(1);
  const Model h = preset("h100-fp8");
  for (int t = 0; t < 200; ++t) {
    const std::vector<double> a = random_e4m3(rng, 96), b = random_e4m3(rng, 96);
    float c = static_cast<float>(random_e4m3(rng, 1)[0]);
    const float chained = dot(h, a.data(), b.data(), 96, c, Format::e4m3);
    for (int blk = 0; blk < 3; ++blk) c = block_fma(h, a.data() + 32 * blk, b.data() + 32 * blk, 32, c, Format::e4m3);
    CHECK(float_bits(chained) == float_bits(c));
  }
}

TEST_CASE("fp32-fma and fp32-acc are a chain of IEEE fused multiply-adds", "[numerics][block_fma]") {
  std::mt19937_64 rng(2);
  for (const char* name : {"fp32-fma", "fp32-acc"}) {
    const Model m = preset(name);
    for (int t = 0; t < 2000; ++t) {
      const std::vector<double> a = random_e4m3(rng, 32), b = random_e4m3(rng, 32);
      float want = static_cast<float>(random_e4m3(rng, 1)[0]) * 0.3f;
      const float got = dot(m, a.data(), b.data(), 32, want, Format::e4m3);
      for (int i = 0; i < 32; ++i) want = std::fma(static_cast<float>(a[i]), static_cast<float>(b[i]), want);
      CHECK(float_bits(got) == float_bits(want));
    }
  }
}

TEST_CASE("exact is the exact sum rounded once", "[numerics][block_fma]") {
  // E4M3 products are multiples of 2^-18 below 2^18: a sum of 65 such terms is exact in double,
  // and one conversion to float rounds it once.
  std::mt19937_64 rng(3);
  const Model m = preset("exact");
  for (int t = 0; t < 2000; ++t) {
    const std::vector<double> a = random_e4m3(rng, 64), b = random_e4m3(rng, 64);
    const double c = random_e4m3(rng, 1)[0];
    double sum = c;
    for (int i = 0; i < 64; ++i) sum += a[i] * b[i];
    const float got = dot(m, a.data(), b.data(), 64, static_cast<float>(c), Format::e4m3);
    CHECK(float_bits(got) == float_bits(static_cast<float>(sum)));
  }
}

TEST_CASE("acc-13 is h100-fp8, and wider alignment approaches the exact sum", "[numerics][block_fma]") {
  std::mt19937_64 rng(4);
  const Model h = preset("h100-fp8"), a13 = preset("acc-13"), a40 = preset("acc-40"),
              ex = preset("exact");
  double err13 = 0, err40 = 0;
  for (int t = 0; t < 1000; ++t) {
    const std::vector<double> a = random_e4m3(rng, 128), b = random_e4m3(rng, 128);
    const float x = dot(h, a.data(), b.data(), 128, 0.0f, Format::e4m3);
    CHECK(float_bits(x) == float_bits(dot(a13, a.data(), b.data(), 128, 0.0f, Format::e4m3)));
    const double r = dot(ex, a.data(), b.data(), 128, 0.0f, Format::e4m3);
    err13 += std::fabs(x - r);
    err40 += std::fabs(dot(a40, a.data(), b.data(), 128, 0.0f, Format::e4m3) - r);
  }
  CHECK(err40 < err13 / 100);
}

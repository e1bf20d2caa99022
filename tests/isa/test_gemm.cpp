// GEMM driver: promotion intervals, each scaling granularity with scales that are not 1, scales
// inside the MMA, agreement of the fast kernel with the general one, and thread-count independence.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"

using namespace hwlab::numerics;

namespace {

constexpr uint8_t kOne = 0x38;       // E4M3 1.0
constexpr uint8_t kTwo = 0x40;       // E4M3 2.0
constexpr uint8_t kHalf = 0x30;      // E4M3 0.5
constexpr uint8_t kTiny = 0x08;      // E4M3 2^-6, the smallest normal

GemmProblem filled(int m, int n, int k, uint8_t a, uint8_t b) {
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a.assign(static_cast<size_t>(m) * k, a);
  p.b.assign(static_cast<size_t>(n) * k, b);
  return p;
}

GemmOptions with(int promotion, bool group_scaled = false, bool reference = false) {
  GemmOptions o;
  o.promotion_interval = promotion;
  o.group_scaled_mma = group_scaled;
  o.reference_kernel = reference;
  return o;
}

// Bits of a 1x1 result from both kernels (they must agree).
uint32_t single(const BlockFmaModel& m, const GemmProblem& p, GemmOptions o) {
  o.reference_kernel = false;
  const uint32_t fast = float_bits(gemm(m, p, o)[0]);
  o.reference_kernel = true;
  const uint32_t ref = float_bits(gemm(m, p, o)[0]);
  CHECK(fast == ref);
  return ref;
}

GemmProblem random_problem(std::mt19937_64& rng, int m, int n, int k, Format f) {
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.format = f;
  auto fill = [&](std::vector<uint8_t>& v, size_t count) {
    v.resize(count);
    for (size_t i = 0; i < count; ++i) {
      uint8_t code;
      do {
        code = static_cast<uint8_t>(rng());
      } while (is_nan_code(f, code) || (is_inf_code(f, code) && rng() % 64 != 0));
      if (rng() % 5 == 0) code &= 0x80;  // zeros of both signs
      v[i] = code;
    }
    // A few all-zero stretches, so that whole blocks have only zero products.
    for (int z = 0; z < 3 && count > 64; ++z) {
      const size_t at = rng() % (count - 64);
      for (size_t i = at; i < at + 40; ++i) v[i] = 0;
    }
  };
  fill(p.a, static_cast<size_t>(m) * k);
  fill(p.b, static_cast<size_t>(n) * k);
  return p;
}

}  // namespace

TEST_CASE("promotion every 128 recovers what an unpromoted chain truncates", "[numerics][gemm]") {
  // K = 256: 128 products 1*1, then 128 products 2^-6 * 2^-6 = 2^-12.
  GemmProblem p = filled(1, 1, 256, kOne, kOne);
  for (int k = 128; k < 256; ++k) p.a[k] = p.b[k] = kTiny;
  const BlockFmaModel h = preset("h100-fp8");
  // Promoted: the second interval sums to 2^-5 on its own, and FP32 keeps 128 + 2^-5.
  CHECK(single(h, p, with(128)) == 0x43000800u);
  // Not promoted: once the chain holds 128 (grid 2^-6), every 2^-12 truncates to nothing.
  CHECK(single(h, p, with(0)) == 0x43000000u);
  CHECK(single(preset("exact"), p, with(0)) == 0x43000800u);
  CHECK(single(preset("fp32-fma"), p, with(0)) == 0x43000800u);
  CHECK(single(preset("acc-20"), p, with(0)) == 0x43000800u);  // grid 2^-13 keeps 2^-12
}

TEST_CASE("per-tensor scales apply at promotion with an FFMA", "[numerics][gemm]") {
  GemmProblem p = filled(1, 1, 64, kOne, kOne);
  p.scales.a = {0.5f};
  p.scales.b = {3.0f};
  CHECK(single(preset("h100-fp8"), p, with(32)) == 0x42C00000u);  // 1.5*32 + 1.5*32 = 96
  CHECK(single(preset("h100-fp8"), p, with(0)) == 0x42C00000u);
  p.scales.a = {0.1f};
  const float s = 0.1f * 3.0f;  // the kernel's FP32 scale product
  CHECK(single(preset("h100-fp8"), p, with(32)) == float_bits(std::fma(s, 32.0f, std::fma(s, 32.0f, 0.0f))));
  CHECK(single(preset("h100-fp8"), p, with(0)) == float_bits(std::fma(s, 64.0f, 0.0f)));
}

TEST_CASE("DeepSeek scales: 1x128 activation tiles, 128x128 weight blocks", "[numerics][gemm]") {
  GemmProblem p = filled(2, 2, 256, kOne, kOne);
  for (int k = 0; k < 256; ++k) {
    p.a[256 + k] = kTwo;   // row 1 of A is 2
    p.b[256 + k] = kHalf;  // row 1 of B is 0.5
  }
  p.scales.granularity = ScaleGranularity::deepseek;
  p.scales.a = {2.0f, 4.0f, 0.5f, 0.25f};  // M x ceil(K/128)
  p.scales.b = {1.0f, 8.0f};               // ceil(N/128) x ceil(K/128)
  // out[i][j] = sum over tiles t of (sa[i][t] * sb[t]) * 128 * a_i * b_j
  const std::vector<uint32_t> want{0x45880000u,   // 2*128 + 32*128 = 4352
                                   0x45080000u,   // 2*64 + 32*64 = 2176
                                   0x44200000u,   // 0.5*256 + 2*256 = 640
                                   0x43A00000u};  // 0.5*128 + 2*128 = 320
  for (int nc : {128, 64, 32}) {
    for (bool reference : {false, true}) {
      const std::vector<float> out = gemm(preset("h100-fp8"), p, with(nc, false, reference));
      for (int x = 0; x < 4; ++x) CHECK(float_bits(out[x]) == want[x]);
    }
  }
  // The same scales applied to each product inside the MMA, never promoting.
  const std::vector<float> inside = gemm(preset("h100-fp8"), p, with(0, true));
  for (int x = 0; x < 4; ++x) CHECK(float_bits(inside[x]) == want[x]);

  // Output columns 128 and 129 use the second row of B's 128x128 blocks.
  GemmProblem q = filled(1, 130, 128, kOne, kOne);
  q.scales.granularity = ScaleGranularity::deepseek;
  q.scales.a = {1.0f};
  q.scales.b = {2.0f, 5.0f};
  const std::vector<float> out = gemm(preset("h100-fp8"), q, with(128));
  CHECK(float_bits(out[0]) == 0x43800000u);    // 256
  CHECK(float_bits(out[127]) == 0x43800000u);
  CHECK(float_bits(out[128]) == 0x44200000u);  // 640
  CHECK(float_bits(out[129]) == 0x44200000u);
}

TEST_CASE("MX scales: UE8M0 per 32 elements of K", "[numerics][gemm]") {
  GemmProblem p = filled(1, 1, 64, kOne, kOne);
  p.scales.granularity = ScaleGranularity::mx;
  p.scales.a_ue8m0 = {0x80, 0x7D};  // 2, 2^-2
  p.scales.b_ue8m0 = {0x7F, 0x83};  // 1, 2^4
  // 2*1*32 + 2^-2*2^4*32 = 64 + 128
  CHECK(single(preset("h100-fp8"), p, with(32)) == 0x43400000u);
  CHECK(single(preset("h100-fp8"), p, with(0, true)) == 0x43400000u);
  CHECK(single(preset("h100-fp8"), p, with(32, true)) == 0x43400000u);
}

TEST_CASE("scales inside the MMA can lose what promotion keeps", "[numerics][gemm]") {
  // Group 0 scaled by 2^10 sums to 2^15; group 1 scaled by 2^-10 adds 32 * 2^-10 = 2^-5.
  GemmProblem p = filled(1, 1, 64, kOne, kOne);
  p.scales.granularity = ScaleGranularity::mx;
  p.scales.a_ue8m0 = {0x89, 0x75};  // 2^10, 2^-10
  p.scales.b_ue8m0 = {0x7F, 0x7F};
  const BlockFmaModel h = preset("h100-fp8");
  // In one chain the second block aligns to 2^15 (grid 2^2): its products vanish.
  CHECK(single(h, p, with(0, true)) == 0x47000000u);   // 32768
  // Promoted in FP32 (scales at promotion, or inside with promotion): 2^15 + 2^-5 survives.
  CHECK(single(h, p, with(32)) == 0x47000008u);        // 32768.03125
  CHECK(single(h, p, with(32, true)) == 0x47000008u);
}

TEST_CASE("gemm without promotion is the chained dot product", "[numerics][gemm]") {
  std::mt19937_64 rng(11);
  const GemmProblem p = random_problem(rng, 5, 7, 300, Format::e4m3);
  BlockFmaModel fp16_reader = preset("h100-fp8");
  fp16_reader.name = "h100-fp8 reading FP16";
  fp16_reader.operand_format = Format::fp16;
  std::vector<BlockFmaModel> models{fp16_reader};
  for (const char* name : {"h100-fp8", "ada-fp8", "exact", "fp32-fma", "h100-fp16"}) models.push_back(preset(name));
  for (const BlockFmaModel& m : models) {
    INFO(m.name);
    const std::vector<float> out = gemm(m, p, with(0));
    for (int i = 0; i < p.m; ++i) {
      for (int j = 0; j < p.n; ++j) {
        std::vector<double> a(p.k), b(p.k);
        for (int k = 0; k < p.k; ++k) {
          a[k] = decode(p.format, p.a[static_cast<size_t>(i) * p.k + k]);
          b[k] = decode(p.format, p.b[static_cast<size_t>(j) * p.k + k]);
        }
        const float d = dot(m, a.data(), b.data(), p.k, 0.0f, p.format);
        CHECK(float_bits(out[static_cast<size_t>(i) * p.n + j]) == float_bits(std::fma(1.0f, d, 0.0f)));
      }
    }
  }
}

TEST_CASE("the fast kernels agree with the general one bit for bit", "[numerics][gemm]") {
  std::mt19937_64 rng(12);
  BlockFmaModel twos = preset("h100-fp8");
  twos.name = "h100-fp8-twos";
  twos.align_rounding = BlockFmaModel::AlignRounding::truncate_toward_neg_inf;
  const std::vector<BlockFmaModel> models{preset("h100-fp8"), preset("acc-20"), preset("acc-23"),
                                          preset("ada-fp8"),  twos,             preset("exact"),
                                          preset("fp32-fma")};
  for (Format f : {Format::e4m3, Format::e5m2}) {
    GemmProblem p = random_problem(rng, 19, 23, 200, f);
    struct Case {
      ScaleGranularity g;
      int nc;
      bool inside;
    };
    for (const Case& c : {Case{ScaleGranularity::per_tensor, 0, false},
                          Case{ScaleGranularity::per_tensor, 32, false},
                          Case{ScaleGranularity::per_tensor, 128, false},
                          Case{ScaleGranularity::deepseek, 128, false},
                          Case{ScaleGranularity::deepseek, 32, false},
                          Case{ScaleGranularity::mx, 32, false},
                          Case{ScaleGranularity::mx, 0, true},
                          Case{ScaleGranularity::mx, 64, true}}) {
      p.scales = GemmScales{};
      p.scales.granularity = c.g;
      if (c.g == ScaleGranularity::per_tensor) {
        p.scales.a = {0.75f};
        p.scales.b = {1.3f};
      } else if (c.g == ScaleGranularity::deepseek) {
        p.scales.a.clear();
        p.scales.b.clear();
        for (int x = 0; x < p.m * 2; ++x) p.scales.a.push_back(std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 999.0f, static_cast<int>(rng() % 9) - 4));
        p.scales.b = {0.3f, 7.0f};
      } else {
        // Mostly near 1, a few at the ends of the range (2^-127 and 2^127).
        auto code = [&]() {
          const uint64_t r = rng() % 40;
          return static_cast<uint8_t>(r == 0 ? 0x00 : r == 1 ? 0xFE : 112 + r % 30);
        };
        for (int x = 0; x < p.m * 7; ++x) p.scales.a_ue8m0.push_back(code());
        for (int x = 0; x < p.n * 7; ++x) p.scales.b_ue8m0.push_back(code());
      }
      for (const BlockFmaModel& m : models) {
        INFO(m.name << " " << format_name(f) << " granularity " << static_cast<int>(c.g) << " nc "
                    << c.nc << " inside " << c.inside);
        const GemmOptions fast = with(c.nc, c.inside, false);
        REQUIRE(check_gemm(m, p, fast).empty());
        CHECK(gemm_has_fast_kernel(m, p, fast) == !(m.exact && c.inside));
        const std::vector<float> x = gemm(m, p, fast);
        const std::vector<float> y = gemm(m, p, with(c.nc, c.inside, true));
        size_t wrong = 0;
        for (size_t e = 0; e < x.size(); ++e) wrong += float_bits(x[e]) != float_bits(y[e]);
        CHECK(wrong == 0);
      }
    }
  }
}

TEST_CASE("results do not depend on the number of threads", "[numerics][gemm]") {
  std::mt19937_64 rng(13);
  GemmProblem p = random_problem(rng, 70, 45, 384, Format::e4m3);
  p.scales.granularity = ScaleGranularity::deepseek;
  p.scales.a.clear();
  for (int x = 0; x < p.m * 3; ++x) p.scales.a.push_back(0.01f * static_cast<float>(1 + rng() % 100));
  p.scales.b = {0.7f, 1.9f, 3.1f};
  for (const char* name : {"h100-fp8", "exact", "fp32-fma"}) {
    INFO(name);
    std::vector<std::vector<float>> runs;
    for (int threads : {1, 2, 0}) {  // 0: all cores
      GemmOptions o = with(128);
      o.threads = threads;
      runs.push_back(gemm(preset(name), p, o));
    }
    for (size_t r = 1; r < runs.size(); ++r) {
      size_t wrong = 0;
      for (size_t e = 0; e < runs[0].size(); ++e) wrong += float_bits(runs[0][e]) != float_bits(runs[r][e]);
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("configuration errors are reported", "[numerics][gemm]") {
  const BlockFmaModel h = preset("h100-fp8");
  GemmProblem p = filled(2, 2, 256, kOne, kOne);
  CHECK(check_gemm(h, p, with(48)).find("multiple of the model's 32") != std::string::npos);
  CHECK(check_gemm(h, p, with(-1)).find("promotion") != std::string::npos);
  p.scales.granularity = ScaleGranularity::deepseek;
  p.scales.a = {1, 1, 1, 1};
  p.scales.b = {1, 1};
  CHECK(check_gemm(h, p, with(128)).empty());
  CHECK(check_gemm(h, p, with(256)).find("must divide 128") != std::string::npos);
  CHECK(check_gemm(h, p, with(0)).find("must divide 128") != std::string::npos);
  CHECK(check_gemm(h, p, with(0, true)).empty());
  p.scales.b = {1};
  CHECK(check_gemm(h, p, with(128)).find("expected 4 for A and 2 for B") != std::string::npos);
  CHECK_THROWS_AS(gemm(h, p, with(128)), hwlab::UserError);
  GemmProblem q = filled(2, 2, 64, kOne, kOne);
  q.a.pop_back();
  CHECK(check_gemm(h, q, with(32)).find("A: expected M*K = 128 codes, found 127") != std::string::npos);
}

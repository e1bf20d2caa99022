// The FP8 dot-product-accumulate bench's vectors (fp8_dpa_vectors.h).
#include "fp8_dpa_vectors.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "fp8_dpa_bench.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/probe_inputs.h"

namespace hwlab::rtl::fp8_dpa_test {

Chain make_chain(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, uint32_t c, bool e5m2, int n,
                 uint8_t scale_a, uint8_t scale_b) {
  Chain ch;
  ch.a = a;
  ch.b = b;
  ch.c = c;
  ch.e5m2 = e5m2;
  const int k = static_cast<int>(a.size());
  for (int start = 0; start < k; start += n) {
    Fp8DpaInput in;
    in.e5m2 = e5m2;
    for (int i = 0; i < n; ++i) {
      in.a[i] = start + i < k ? a[static_cast<size_t>(start + i)] : 0;
      in.b[i] = start + i < k ? b[static_cast<size_t>(start + i)] : 0;
    }
    in.c = c;
    in.scale_a = scale_a;
    in.scale_b = scale_b;
    ch.blocks.push_back(in);
  }
  return ch;
}

std::vector<Chain> crafted_chains(const Fp8DpaVariant& v) {
  std::vector<Chain> chains;
  const int n = v.products;
  for (bool e5m2 : {false, true}) {
    for (uint32_t what = 0; what < static_cast<uint32_t>(nx::probe::Crafted::count_); ++what) {
      const auto w = static_cast<nx::probe::Crafted>(what);
      const int k = w == nx::probe::Crafted::chain ? 128 : 32;
      for (int variant_index = 0; variant_index < nx::probe::kCraftedVariants; ++variant_index) {
        std::vector<uint8_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
        uint32_t c = 0;
        nx::probe::crafted_pair(w, variant_index, e5m2, k, a.data(), b.data(), &c);
        chains.push_back(make_chain(a, b, c, e5m2, n));
        if (v.scaled) chains.push_back(make_chain(a, b, c, e5m2, n, 130, 119));
      }
    }
    // The promotion probe's rows (a 2^8 product among 2^-6 ones), K = 128.
    for (int row = 0; row < 8; ++row) {
      std::vector<uint8_t> a(128), b(128);
      for (int col = 0; col < 128; ++col) {
        a[static_cast<size_t>(col)] = nx::probe::promotion_probe_a(e5m2, row, col, 128);
        b[static_cast<size_t>(col)] = nx::probe::promotion_probe_b(e5m2, row, 16);
      }
      chains.push_back(make_chain(a, b, 0, e5m2, n));
    }
  }
  // Special values, one block each (the first N products).
  auto pow2 = [](bool e5m2, int e, bool neg = false) { return nx::probe::pow2_code(e5m2, e, neg); };
  for (bool e5m2 : {false, true}) {
    const uint8_t nan = e5m2 ? 0x7F : 0x7F, neg_nan = e5m2 ? 0xFD : 0xFF;
    const uint8_t one = pow2(e5m2, 0), max = e5m2 ? 0x7B : 0x7E, min_sub = 0x01, max_sub = e5m2 ? 0x03 : 0x07;
    const uint32_t cs[] = {0u, 0x80000000u, f32(1.0f), f32(-1.0f), 0x7FC00000u, 0xFFFFFFFFu, 0x7F800001u,
                           0x7F800000u, 0xFF800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x00000001u, 0x807FFFFFu,
                           0x00800000u, 0x80800000u, f32(448.0f * 448.0f * 32.0f), f32(-0x1p-30f),
                           // around the exact unit's window (2^-60 .. 2^62) and below a tie's half ulp
                           f32(0x1p62f), f32(-0x1p62f), 0x5E7FFFFFu, f32(0x1p63f), f32(0x1p-60f),
                           f32(-0x1p-60f), f32(-0x1p-100f), f32(0x1.8p-36f)};
    std::vector<std::vector<std::pair<uint8_t, uint8_t>>> blocks;
    auto block = [&](std::initializer_list<std::pair<uint8_t, uint8_t>> prs) { blocks.emplace_back(prs); };
    block({});                                        // all +0 * +0
    block({{0x80, 0x00}, {0x00, 0x80}});              // -0 products among +0 ones
    std::vector<std::pair<uint8_t, uint8_t>> neg_zeros(static_cast<size_t>(n), {0x80, 0x00});
    blocks.push_back(neg_zeros);                      // every product -0
    block({{nan, one}});
    block({{one, neg_nan}, {one, one}});
    block({{0x00, 0x00}, {max, max}, {max, max}});
    block({{min_sub, min_sub}, {max_sub, max_sub}, {min_sub, one}});  // subnormal operands
    block({{max, max}, {static_cast<uint8_t>(max | 0x80), max}});  // exact cancellation of the largest
    block({{pow2(e5m2, 8), one}, {pow2(e5m2, -8), pow2(e5m2, -8)}});  // 256 + 2^-16: a tie at 24 bits
    block({{pow2(e5m2, 8), one}, {pow2(e5m2, -8, true), pow2(e5m2, -8)}});
    std::vector<std::pair<uint8_t, uint8_t>> all_max(static_cast<size_t>(n), {max, max});
    blocks.push_back(all_max);                        // the largest products, n times
    std::vector<std::pair<uint8_t, uint8_t>> cancel;
    for (int i = 0; i + 1 < n; i += 2) {
      const uint8_t x = static_cast<uint8_t>(0x20 + 3 * i);
      cancel.push_back({x, one});
      cancel.push_back({static_cast<uint8_t>(x | 0x80), one});
    }
    blocks.push_back(cancel);                         // products cancelling pairwise
    if (e5m2) {
      block({{0x7C, one}});                           // +inf
      block({{0xFC, one}, {0x7C, 0x7C}});             // -inf and +inf: NaN
      block({{0x7C, 0x00}});                          // inf * 0: NaN
      block({{0x7C, 0xFC}, {0xFC, 0xFC}});            // -inf and +inf
      block({{0x7C, max}, {max, max}});
    }
    for (const auto& prs : blocks) {
      for (uint32_t c : cs) {
        std::vector<uint8_t> a(static_cast<size_t>(n), 0), b(static_cast<size_t>(n), 0);
        for (size_t i = 0; i < prs.size() && i < a.size(); ++i) {
          a[i] = prs[i].first;
          b[i] = prs[i].second;
        }
        chains.push_back(make_chain(a, b, c, e5m2, n));
        if (v.scaled) {
          for (auto [sa, sb] : {std::pair<uint8_t, uint8_t>{254, 254}, {0, 0}, {0, 254}, {200, 180},
                                {60, 40}, {255, 127}, {127, 255}}) {
            chains.push_back(make_chain(a, b, c, e5m2, n, sa, sb));
          }
        }
      }
    }
  }
  return chains;
}

uint8_t random_code(std::mt19937_64& rng, bool e5m2, bool allow_special) {
  while (true) {
    const auto code = static_cast<uint8_t>(rng());
    if (allow_special || !nx::probe::fp8_special(e5m2, code)) return code;
  }
}

// A code with exponent field in [lo, hi] (clamped to the finite codes), random sign and fraction.
uint8_t code_in_binades(std::mt19937_64& rng, bool e5m2, int lo, int hi) {
  const int mbits = e5m2 ? 2 : 3;
  const int top = e5m2 ? 30 : 15;
  const int field = std::min(top, lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)));
  auto code = static_cast<uint8_t>((rng() & 0x80) | (field << mbits) | (rng() & ((1u << mbits) - 1)));
  if (nx::probe::fp8_special(e5m2, code)) code = static_cast<uint8_t>(code - 1);
  return code;
}

uint32_t random_c(std::mt19937_64& rng, const Fp8DpaInput& in, int n) {
  const int pick = static_cast<int>(rng() % 100);
  const uint32_t sign = static_cast<uint32_t>(rng() & 1) << 31;
  if (pick < 8) return sign;                                      // +-0
  if (pick < 16) return static_cast<uint32_t>(rng());             // any bits: NaNs, infinities, ...
  if (pick < 20) return sign | static_cast<uint32_t>(rng() % 0x800000u);  // subnormal
  if (pick < 23) {                                                // huge, specials
    const uint32_t big[] = {0x7F7FFFFFu, 0x7F000000u, 0x7F800000u, 0x7FC00000u, 0x7F800001u, 0x5F000000u};
    return sign | big[rng() % 6];
  }
  if (pick < 55) {  // near minus the products' sum (cancellation with C), or a few ulps off it
    double s = 0;
    for (int i = 0; i < n; ++i) {
      const double x = nx::decode(format_of(in), in.a[i]) * nx::decode(format_of(in), in.b[i]);
      if (std::isfinite(x)) s += x;
    }
    if (rng() % 4 == 0) s = std::ldexp(s, static_cast<int>(rng() % 9) - 4);
    uint32_t bits = f32(static_cast<float>(-s));
    if (rng() % 2) bits += static_cast<uint32_t>(rng() % 5) - 2u;
    return bits;
  }
  // a normal number of moderate size, 2^-40 .. 2^40
  const uint32_t exponent = static_cast<uint32_t>(127 - 40 + static_cast<int>(rng() % 81));
  return sign | (exponent << 23) | static_cast<uint32_t>(rng() & 0x7FFFFFu);
}

Fp8DpaInput random_input(std::mt19937_64& rng, const Fp8DpaVariant& v) {
  Fp8DpaInput in;
  const int n = v.products;
  in.e5m2 = (rng() & 1) != 0;
  const bool e5m2 = in.e5m2;
  const int top = e5m2 ? 30 : 15;
  const int style = static_cast<int>(rng() % 8);
  switch (style) {
    case 0:  // uniformly random finite codes
      for (int i = 0; i < n; ++i) {
        in.a[i] = random_code(rng, e5m2, false);
        in.b[i] = random_code(rng, e5m2, false);
      }
      break;
    case 1:  // any code: NaN and infinity operands
      for (int i = 0; i < n; ++i) {
        in.a[i] = random_code(rng, e5m2, rng() % 16 == 0);
        in.b[i] = random_code(rng, e5m2, rng() % 16 == 0);
      }
      break;
    case 2:
    case 3: {  // products of similar size: carries, cancellation, the alignment boundary
      const int lo = static_cast<int>(rng() % static_cast<uint64_t>(top - 2));
      const int width = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, lo, std::min(top, lo + width));
        in.b[i] = code_in_binades(rng, e5m2, lo, std::min(top, lo + width));
      }
      break;
    }
    case 4: {  // products cancelling pairwise, a few perturbed
      for (int i = 0; i + 1 < n; i += 2) {
        in.a[i] = random_code(rng, e5m2, false);
        in.b[i] = random_code(rng, e5m2, false);
        in.a[i + 1] = static_cast<uint8_t>(in.a[i] ^ 0x80);
        in.b[i + 1] = in.b[i];
        if (rng() % 8 == 0) in.b[i + 1] = static_cast<uint8_t>(in.b[i + 1] ^ 1);
      }
      break;
    }
    case 5:  // sparse: zeros of both signs, a few non-zero products
      for (int i = 0; i < n; ++i) {
        const bool nz = rng() % 8 == 0;
        in.a[i] = nz ? random_code(rng, e5m2, false) : static_cast<uint8_t>(rng() & 0x80);
        in.b[i] = nz ? random_code(rng, e5m2, false) : static_cast<uint8_t>(rng() & 0x80);
      }
      break;
    case 6:  // subnormal and smallest normal operands
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, 0, 1);
        in.b[i] = rng() % 2 ? code_in_binades(rng, e5m2, 0, 2) : random_code(rng, e5m2, false);
      }
      break;
    default:  // one large product over many small ones (the alignment grid)
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, 0, top / 2);
        in.b[i] = code_in_binades(rng, e5m2, 0, top / 2);
      }
      in.a[rng() % static_cast<uint64_t>(n)] = code_in_binades(rng, e5m2, top - 3, top);
      break;
  }
  in.c = random_c(rng, in, n);
  if (style == 5 && rng() % 4 == 0) {  // zero products (of both signs) and a tiny C: subnormal results
    for (int i = 0; i < n; ++i) in.a[i] = static_cast<uint8_t>(in.a[i] & 0x80);
    in.c = static_cast<uint32_t>(rng() & 0x80000000u) |
           static_cast<uint32_t>(rng() % (rng() % 2 ? 0x800000u : 0x2000000u));
  }
  if (v.scaled) {
    auto scale = [&]() -> uint8_t {
      const int pick = static_cast<int>(rng() % 100);
      if (pick < 70) return static_cast<uint8_t>(117 + rng() % 21);  // 2^-10 .. 2^10
      if (pick < 98) return static_cast<uint8_t>(rng() % 255);       // any finite scale
      return pick == 98 ? 0 : 0xFF;                                   // the smallest, NaN
    };
    in.scale_a = scale();
    in.scale_b = scale();
  }
  return in;
}

}  // namespace hwlab::rtl::fp8_dpa_test

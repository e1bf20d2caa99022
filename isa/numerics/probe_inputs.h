// Inputs of the FP8 GPU probes, generated the same way on the GPU host and here (header-only, no
// libm: only IEEE basic operations, so that every host computes the same codes).
//
//   generate_code(style, format, seed, matrix, row, col)  one FP8 code, counter-based (splitmix64)
//   quantize(format, x)                                    nearest FP8 code, ties to even, saturating
//   Crafted vectors (crafted_*) each isolate one feature of the block FMA; see crafted_pair().
#pragma once

#include <cstdint>

namespace hwlab::numerics::probe {

enum class Style : uint32_t {
  codes = 0,       // uniformly random codes: every binade, subnormals, both signs (no NaN/inf)
  normal = 1,      // N(0,1) (Irwin-Hall of 12 uniforms), quantized
  uniform01 = 2,   // U(0,1), quantized
  activation = 3,  // N(0,1) with 0.5 % outliers of 30-100x (activation-like), quantized
  specials = 4,    // codes, with 2 % NaN and (E5M2) infinity codes
  count_
};

inline const char* style_name(Style s) {
  switch (s) {
    case Style::codes: return "codes";
    case Style::normal: return "normal";
    case Style::uniform01: return "uniform01";
    case Style::activation: return "activation";
    case Style::specials: return "specials";
    case Style::count_: break;
  }
  return "?";
}

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A 53-bit uniform in [0, 1).
inline double unit(uint64_t h) { return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0); }

// Value of a code (e5m2: is_e5m2 true). NaN and infinity codes return 0; callers avoid them.
inline double fp8_value(bool is_e5m2, uint8_t code) {
  const int mbits = is_e5m2 ? 2 : 3;
  const int bias = is_e5m2 ? 15 : 7;
  const int e = (code >> mbits) & (is_e5m2 ? 0x1F : 0xF);
  const int f = code & ((1 << mbits) - 1);
  double v;
  if (e == 0) {
    v = f;
    for (int i = 0; i < bias - 1 + mbits; ++i) v *= 0.5;  // f * 2^(1 - bias - mbits)
  } else {
    v = 1.0 + f / static_cast<double>(1 << mbits);
    for (int i = 0; i < e - bias; ++i) v *= 2.0;
    for (int i = 0; i < bias - e; ++i) v *= 0.5;
  }
  return (code & 0x80) ? -v : v;
}

inline bool fp8_special(bool is_e5m2, uint8_t code) {
  return is_e5m2 ? ((code & 0x7C) == 0x7C) : ((code & 0x7F) == 0x7F);
}

// Positive finite values of a format, by code (0 .. max_code).
struct ValueTable {
  double value[128];
  int max_code;
};
inline const ValueTable& value_table(bool is_e5m2) {
  static const ValueTable tables[2] = {
      [] {
        ValueTable t{};
        t.max_code = 0x7E;
        for (int c = 0; c <= t.max_code; ++c) t.value[c] = fp8_value(false, static_cast<uint8_t>(c));
        return t;
      }(),
      [] {
        ValueTable t{};
        t.max_code = 0x7B;
        for (int c = 0; c <= t.max_code; ++c) t.value[c] = fp8_value(true, static_cast<uint8_t>(c));
        return t;
      }()};
  return tables[is_e5m2 ? 1 : 0];
}

// Nearest finite code, ties to the even code, saturating at the largest finite value.
inline uint8_t quantize(bool is_e5m2, double x) {
  const bool neg = x < 0;
  const double a = neg ? -x : x;
  const ValueTable& t = value_table(is_e5m2);
  // lo: the largest code whose value is <= a (binary search over the increasing values).
  int lo = 0, hi = t.max_code;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (t.value[mid] <= a) lo = mid; else hi = mid - 1;
  }
  int code = lo;
  if (lo < t.max_code) {
    const double below = a - t.value[lo], above = t.value[lo + 1] - a;
    if (below > above || (below == above && (lo & 1))) code = lo + 1;
  }
  return static_cast<uint8_t>(neg ? (code | 0x80) : code);
}

// One code of matrix `matrix` (0 = A, 1 = B, 2 = C's seed) at (row, col).
inline uint8_t generate_code(Style style, bool is_e5m2, uint64_t seed, uint32_t matrix, uint32_t row,
                             uint32_t col) {
  const uint64_t base = splitmix64(seed ^ (static_cast<uint64_t>(matrix) << 56) ^
                                   (static_cast<uint64_t>(row) << 28) ^ col);
  switch (style) {
    case Style::codes:
    case Style::specials: {
      uint64_t h = base;
      for (int tries = 0;; ++tries) {
        const uint8_t code = static_cast<uint8_t>(h);
        const bool special_ok = style == Style::specials && ((h >> 8) % 50 == 0);
        if (!fp8_special(is_e5m2, code) || special_ok) return code;
        h = splitmix64(h + static_cast<uint64_t>(tries));
      }
    }
    case Style::normal:
    case Style::activation: {
      double s = 0;
      uint64_t h = base;
      for (int i = 0; i < 12; ++i) {
        h = splitmix64(h);
        s += unit(h);
      }
      s -= 6.0;
      if (style == Style::activation) {
        h = splitmix64(h);
        if (h % 200 == 0) s *= 30.0 + 70.0 * unit(splitmix64(h));
      }
      return quantize(is_e5m2, s);
    }
    case Style::uniform01: return quantize(is_e5m2, unit(base));
    case Style::count_: break;
  }
  return 0;
}

// FP32 bits of a random C value of moderate size (normal numbers around 2^-8 .. 2^8, both signs).
inline uint32_t generate_c_bits(uint64_t seed, uint32_t row, uint32_t col) {
  const uint64_t h = splitmix64(seed ^ (uint64_t{3} << 56) ^ (static_cast<uint64_t>(row) << 28) ^ col);
  const uint32_t exponent = 119u + static_cast<uint32_t>((h >> 32) % 17u);  // 2^-8 .. 2^8
  return (static_cast<uint32_t>(h >> 63) << 31) | (exponent << 23) | static_cast<uint32_t>(h & 0x7FFFFFu);
}

// ------------------------------------------------------------------------------------------------
// Crafted vectors. Each fills one A row and one B row of length k (a multiple of 32) and a C value,
// to isolate one feature of the block FMA; `variant` picks among a few instances of the feature.
// E4M3 codes (E5M2 callers use the E5M2 code of the same value where it exists: all values used
// here are powers of two or 1.5 times one, exact in both formats).

enum class Crafted : uint32_t {
  c_placement = 0,   // 1 + C with |C| far below 2^-13: aligned with products (truncated) or added after
  alignment = 1,     // 256 + 31 products of 2^-k: which k survive tells F
  negative = 2,      // 256 - small products: truncation toward zero vs toward -inf
  block_size = 3,    // big product, small ones in 1..15 vs 17..31: 16 vs 32 products per block
  result_bits = 4,   // products whose exact sum needs more than 13 fraction bits: result width and rounding
  subnormal = 5,     // subnormal operands: which exponent they bring to the alignment
  product_exp = 6,   // a product with significand >= 2 sets the grid: exponent sum vs normalised
  chain = 7,         // blocks chained through C: small products in later blocks
  wide_alignment = 8,  // 2^16 + products 2^-7 .. 2^-14 below: the FP16 path's 25 bits, F >= 23
  count_
};
inline constexpr int kCraftedVariants = 8;

inline const char* crafted_name(Crafted c) {
  switch (c) {
    case Crafted::c_placement: return "c_placement";
    case Crafted::alignment: return "alignment";
    case Crafted::negative: return "negative";
    case Crafted::block_size: return "block_size";
    case Crafted::result_bits: return "result_bits";
    case Crafted::subnormal: return "subnormal";
    case Crafted::product_exp: return "product_exp";
    case Crafted::chain: return "chain";
    case Crafted::wide_alignment: return "wide_alignment";
    case Crafted::count_: break;
  }
  return "?";
}

// Code of +-2^e (e within the format's normal or subnormal range), or 1.5 * 2^e with `half`.
inline uint8_t pow2_code(bool is_e5m2, int e, bool negative = false, bool half = false) {
  const double v = (half ? 1.5 : 1.0) * (e >= 0 ? static_cast<double>(1ull << e) : 1.0 / static_cast<double>(1ull << -e));
  return quantize(is_e5m2, negative ? -v : v);
}

// Fills a[0..k), b[0..k) and *c_bits for crafted vector `what`, variant v in [0, kCraftedVariants).
inline void crafted_pair(Crafted what, int v, bool is_e5m2, int k, uint8_t* a, uint8_t* b,
                         uint32_t* c_bits) {
  const uint8_t one = pow2_code(is_e5m2, 0);
  for (int i = 0; i < k; ++i) a[i] = b[i] = 0;
  *c_bits = 0;
  switch (what) {
    case Crafted::c_placement: {
      // a0*b0 = 1 (or 2^(v%4)); C = +-2^-(14 + v) : aligned with the product it is truncated away.
      a[0] = pow2_code(is_e5m2, v % 4);
      b[0] = one;
      const uint32_t exp = static_cast<uint32_t>(127 - 14 - v);
      *c_bits = ((v & 1) ? 0x80000000u : 0u) | (exp << 23) | ((v & 2) ? 0x400000u : 0u);
      if (v >= 6) {  // reversed: C = 1, products of -2^-(14..) below it
        *c_bits = 0x3F800000u;
        a[0] = one;
        b[0] = one;
        for (int i = 1; i < 8; ++i) {
          a[i] = pow2_code(is_e5m2, -6, true);
          b[i] = pow2_code(is_e5m2, v == 6 ? -8 : -7);
        }
      }
      break;
    }
    case Crafted::alignment: {
      // 2^8 * 1 and 31 products 2^(-4-v/2) * 2^-1 (half: 1.5x): relative 2^-(13+v/2) ...
      a[0] = pow2_code(is_e5m2, 8);
      b[0] = one;
      for (int i = 1; i < 32; ++i) {
        a[i] = pow2_code(is_e5m2, -4 - v / 2, false, (v & 1) != 0);
        b[i] = pow2_code(is_e5m2, -1);
      }
      break;
    }
    case Crafted::negative: {
      a[0] = pow2_code(is_e5m2, 8);
      b[0] = one;
      for (int i = 1; i < 32; ++i) {
        a[i] = pow2_code(is_e5m2, -3 - v / 2, true, true);  // -1.5 * 2^-(3+v/2)
        b[i] = pow2_code(is_e5m2, -(v % 2) - 2);
      }
      break;
    }
    case Crafted::block_size: {
      // Big product at 0 (or at 16 for odd v); small products in the other half only. Variants 6
      // and 7: 2^16 and products of 2^-10 (relative 2^-26: below even the FP16 path's grid), for
      // 16 vs 32 products per block on the FP16 path.
      const bool wide = v >= 6;
      const int big = (v & 1) ? 16 : 0;
      a[big] = pow2_code(is_e5m2, 8);
      b[big] = wide ? pow2_code(is_e5m2, 8) : one;
      const int from = (v & 1) ? 1 : 17, to = (v & 1) ? 16 : 32;
      for (int i = from; i < to; ++i) {
        a[i] = wide ? pow2_code(is_e5m2, -6, false, (i & 1) != 0) : pow2_code(is_e5m2, -4 - (v / 2) % 3, false, true);
        b[i] = pow2_code(is_e5m2, wide ? -4 : -1);
      }
      break;
    }
    case Crafted::result_bits: {
      // (1.5 * 2^3)^2 twice = 288 (result exponent 8: 13 bits keep multiples of 2^-5) plus v + 1
      // products of 2^-7 (kept by the alignment, whose grid is 2^(6 - 13)): the result's width and
      // rounding decide what happens to (v + 1) * 2^-7.
      a[0] = a[1] = pow2_code(is_e5m2, 3, false, true);
      b[0] = b[1] = pow2_code(is_e5m2, 3, false, true);
      for (int i = 2; i < 3 + v; ++i) {
        a[i] = pow2_code(is_e5m2, -3);
        b[i] = pow2_code(is_e5m2, -4);
      }
      break;
    }
    case Crafted::subnormal: {
      // The largest product has a subnormal factor: its alignment exponent is the format's minimum
      // plus 8 if the adders see the exponent field, lower if they see the true exponent. The other
      // products (normal operands) fall below the grid in the first case only.
      const int lowest = is_e5m2 ? -16 : -9, normal = is_e5m2 ? -10 : -6;
      a[0] = pow2_code(is_e5m2, lowest + v % 2, false, v >= 4);
      b[0] = pow2_code(is_e5m2, 8 - (v / 2) % 2);
      for (int i = 1; i < 32; ++i) {
        a[i] = pow2_code(is_e5m2, normal, (i & 1) != 0 && (v & 2), (i % 3) == 0);
        b[i] = pow2_code(is_e5m2, normal);
      }
      break;
    }
    case Crafted::product_exp: {
      // 1.5*1.5 = 2.25 at exponent sum 0, plus products around 2^-13..2^-14.
      a[0] = pow2_code(is_e5m2, 0, false, true);
      b[0] = pow2_code(is_e5m2, 0, false, true);
      for (int i = 1; i < 32; ++i) {
        a[i] = pow2_code(is_e5m2, -6 - (v % 2), false, (v & 2) != 0);
        b[i] = pow2_code(is_e5m2, -7 + (v / 4), false, (i & 1) != 0);
      }
      break;
    }
    case Crafted::chain: {
      // Big product in block 0 (or last), small products in every other block.
      const int blocks = k / 32;
      const int big_block = (v & 1) ? blocks - 1 : 0;
      a[big_block * 32] = pow2_code(is_e5m2, 8);
      b[big_block * 32] = one;
      for (int blk = 0; blk < blocks; ++blk) {
        if (blk == big_block) continue;
        for (int i = 0; i < 32; ++i) {
          a[blk * 32 + i] = pow2_code(is_e5m2, -4 - v / 2, (v & 2) != 0, (i & 1) != 0);
          b[blk * 32 + i] = pow2_code(is_e5m2, -1);
        }
      }
      break;
    }
    case Crafted::wide_alignment: {
      a[0] = b[0] = pow2_code(is_e5m2, 8);
      for (int i = 1; i < 32; ++i) {
        a[i] = pow2_code(is_e5m2, -6, false, (i & 1) != 0);
        b[i] = pow2_code(is_e5m2, -1 - v);
      }
      break;
    }
    case Crafted::count_: break;
  }
}

// The promotion probe of cuBLASLt (see kernels/numerics/README.md): row i of A holds 2^8 at
// position p(i) and 2^-6 elsewhere; B is 1 everywhere (-1 for the second half of its rows). A
// product 2^-6 survives only in a chain that does not also hold the 2^8 product (it is below the
// 13-bit grid of 2^8), so (D - 256) / 2^-6 counts the products outside the big product's
// promotion interval, or before its block.
inline int promotion_probe_position(int row, int k) { return (row * 32 + (row % 4) * 9) % k; }
inline uint8_t promotion_probe_a(bool is_e5m2, int row, int col, int k) {
  return col == promotion_probe_position(row, k) ? pow2_code(is_e5m2, 8) : pow2_code(is_e5m2, -6);
}
inline uint8_t promotion_probe_b(bool is_e5m2, int row, int n) {
  return pow2_code(is_e5m2, 0, row >= n / 2);
}

}  // namespace hwlab::numerics::probe

// Internals of the block-FMA model shared by block_fma.cpp and gemm.cpp: exact product terms, a wide
// exact accumulator, and one block step on them. Not part of the library's interface.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>

#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"

namespace hwlab::numerics::detail {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

// A non-zero product in exact integer form: value = significand * 2^lsb_exponent, |significand|
// < 2^62. alignment_exponent is the exponent the hardware compares when it aligns (see
// BlockFmaModel::product_exponent).
struct Term {
  int64_t significand;
  int lsb_exponent;
  int alignment_exponent;
};

// An exact fixed-point number covering weights 2^-768 .. 2^512 (every sum of products of FP32-range
// values and scales fits). Base-2^32 digits are held in int64 so that additions never propagate
// carries; carries are resolved when the value is read.
class Exact {
 public:
  static constexpr int kLsbExponent = -768;
  static constexpr int kDigits = 40;

  Exact() { clear(); }
  void clear();
  // += significand * 2^lsb_exponent, exactly.
  void add(int64_t significand, int lsb_exponent);
  void add(int128 significand, int lsb_exponent);

  bool is_zero() const;
  bool negative() const;
  // floor(log2 |value|); the value must not be zero.
  int msb_exponent() const;
  // value / 2^q rounded to an integer as `mode` says; the result must fit in 62 bits.
  int64_t quantize(int q, BlockFmaModel::AlignRounding mode) const;
  // value rounded to `fraction_bits` (<= 23) in FP32's exponent range; beyond it, an infinity.
  // The value must not be zero.
  float round(int fraction_bits, BlockFmaModel::ResultRounding mode) const;

 private:
  struct Magnitude {
    bool negative;
    int top;  // index of the highest non-zero digit, -1 for zero
    uint32_t digit[kDigits];
  };
  const Magnitude& magnitude() const;
  // Bits of |value| at and above bit `lo` (bit 0 weighs 2^kLsbExponent), the bit just below, and
  // whether any lower bit is set.
  void extract(int lo, uint64_t& high, bool& half, bool& sticky) const;

  int64_t d_[kDigits];
  mutable bool cached_ = false;
  mutable Magnitude mag_;
};

enum class Special : uint8_t { none, nan, pos_inf, neg_inf };
// The special value of a sum holding both `x` and `y`.
Special combine(Special x, Special y);
// The special value of the product a*b, given each operand's class (Special::none = finite).
Special product_special(Special a, bool a_is_zero, bool a_negative, Special b, bool b_is_zero,
                        bool b_negative);

// The running value of a chain of blocks: C on entry to a block, its unrounded D on exit.
struct BlockValue {
  Exact value;
  bool negative_zero = false;  // the value is zero and carries a negative sign
  Special special = Special::none;
};

// Products of one block, given as non-zero terms plus what the zero products contribute.
struct BlockProducts {
  const Term* terms = nullptr;
  int count = 0;                      // non-zero products
  bool zeros_all_negative = true;     // every zero product is -0 (vacuously true when none)
  Special special = Special::none;    // NaN or infinity among the products
};

// acc = C on entry; on return acc holds the block's D before the final rounding.
void run_block(const BlockFmaModel& model, const BlockProducts& products, BlockValue& acc);
// The block's D rounded as the model says (result_fraction_bits, result_rounding).
float finish(const BlockFmaModel& model, const BlockValue& acc);
// acc = c.
void load(BlockValue& acc, float c);

// Exponent C brings to the alignment: its exponent field's, i.e. floor(log2|c|) but not below
// FP32's minimum normal exponent.
constexpr int kFp32MinExponent = -126;

// r * 2^q as a float: r < 2^25, q >= -149 and r * 2^q a float once in range (the caller has
// rounded it); beyond FP32's range, an infinity. Built from bits (no libm on the hot path).
inline float assemble(bool negative, uint64_t r, int q) {
  const uint32_t sign = negative ? 0x80000000u : 0u;
  if (r == 0) return float_from_bits(sign);
  const int p = 63 - __builtin_clzll(r);  // r = 1.f * 2^p
  const int e = p + q;
  if (e > 127) return float_from_bits(sign | 0x7F800000u);
  if (e < -126) {  // subnormal: r * 2^q = (r << (q + 149)) * 2^-149, exact since q >= -149
    return float_from_bits(sign | static_cast<uint32_t>(r << (q + 149)));
  }
  const uint64_t frac = p <= 23 ? (r << (23 - p)) : (r >> (p - 23));  // exact: low bits are zero
  return float_from_bits(sign | (static_cast<uint32_t>(e + 127) << 23) |
                         (static_cast<uint32_t>(frac) & 0x7FFFFFu));
}

// Rounds s * 2^q (s != 0) as Exact::round does, for callers that hold the sum in an int64.
inline float round_int(int64_t s, int q, int fraction_bits, BlockFmaModel::ResultRounding mode) {
  assert(s != 0);
  const bool neg = s < 0;
  const uint64_t mag = neg ? uint64_t{0} - static_cast<uint64_t>(s) : static_cast<uint64_t>(s);
  const int e = (63 - __builtin_clzll(mag)) + q;
  const int qr = std::max(e, kFp32MinExponent) - fraction_bits;
  const int shift = qr - q;
  uint64_t r;
  bool half = false, sticky = false;
  if (shift <= 0) {
    r = mag << -shift;
  } else if (shift >= 64) {
    r = 0;
    sticky = true;
  } else {
    r = mag >> shift;
    half = ((mag >> (shift - 1)) & 1u) != 0;
    sticky = (mag & ((uint64_t{1} << (shift - 1)) - 1u)) != 0;
  }
  if (mode == BlockFmaModel::ResultRounding::nearest_even && half && (sticky || (r & 1u))) ++r;
  return assemble(neg, r, qr);
}

// s * 2^lsb_exponent aligned to the grid 2^q as `mode` says (|s| < 2^62).
inline int64_t quantize_int(int64_t s, int lsb_exponent, int q, BlockFmaModel::AlignRounding mode) {
  const int shift = q - lsb_exponent;
  if (shift <= 0) {
    assert(shift > -62);
    return s * (int64_t{1} << -shift);
  }
  if (shift >= 63) {
    // |s| < 2^62: the value is below half a unit.
    return (mode == BlockFmaModel::AlignRounding::truncate_toward_neg_inf && s < 0) ? -1 : 0;
  }
  const bool neg = s < 0;
  const uint64_t mag = neg ? uint64_t{0} - static_cast<uint64_t>(s) : static_cast<uint64_t>(s);
  uint64_t r = mag >> shift;
  const uint64_t rem = mag & ((uint64_t{1} << shift) - 1u);
  switch (mode) {
    case BlockFmaModel::AlignRounding::truncate_toward_zero: break;
    case BlockFmaModel::AlignRounding::truncate_toward_neg_inf:
      if (neg && rem != 0) ++r;
      break;
    case BlockFmaModel::AlignRounding::nearest_even: {
      const uint64_t half = uint64_t{1} << (shift - 1);
      if (rem > half || (rem == half && (r & 1u))) ++r;
      break;
    }
  }
  return neg ? -static_cast<int64_t>(r) : static_cast<int64_t>(r);
}

}  // namespace hwlab::numerics::detail

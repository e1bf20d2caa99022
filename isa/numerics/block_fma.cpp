#include "isa/numerics/block_fma.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <limits>
#include <vector>

#include "isa/numerics/block_fma_detail.h"

namespace hwlab::numerics {
namespace detail {

// ---------------------------------------------------------------------------------------------
// Exact

void Exact::clear() {
  std::fill(d_, d_ + kDigits, int64_t{0});
  cached_ = false;
}

void Exact::add(int64_t significand, int lsb_exponent) {
  if (significand == 0) return;
  const int bit = lsb_exponent - kLsbExponent;
  assert(bit >= 0 && bit / 32 + 2 < kDigits && "Exact: value out of range");
  const int digit = bit / 32;
  const int shift = bit % 32;
  // t = L0 + L1 * 2^32 + H * 2^64 with L0, L1 in [0, 2^32) and H signed: three digit updates.
  const int128 t = static_cast<int128>(significand) * (int128{1} << shift);
  const uint64_t low = static_cast<uint64_t>(t);
  d_[digit] += static_cast<int64_t>(low & 0xFFFFFFFFu);
  d_[digit + 1] += static_cast<int64_t>(low >> 32);
  d_[digit + 2] += static_cast<int64_t>(t >> 64);
  cached_ = false;
}

void Exact::add(int128 significand, int lsb_exponent) {
  constexpr int128 kMask = (int128{1} << 62) - 1;
  add(static_cast<int64_t>(significand & kMask), lsb_exponent);
  add(static_cast<int64_t>(significand >> 62), lsb_exponent + 62);
}

const Exact::Magnitude& Exact::magnitude() const {
  if (cached_) return mag_;
  int64_t t[kDigits];
  std::copy(d_, d_ + kDigits, t);
  for (int i = 0; i + 1 < kDigits; ++i) {  // resolve carries: digits in [0, 2^32), top signed
    const int64_t carry = t[i] >> 32;
    t[i] -= carry * (int64_t{1} << 32);
    t[i + 1] += carry;
  }
  mag_.negative = t[kDigits - 1] < 0;
  if (mag_.negative) {
    int64_t borrow = 0;
    for (int i = 0; i < kDigits; ++i) {
      const int64_t v = -t[i] + borrow;
      mag_.digit[i] = static_cast<uint32_t>(v & 0xFFFFFFFF);
      borrow = v >> 32;
    }
  } else {
    for (int i = 0; i < kDigits; ++i) mag_.digit[i] = static_cast<uint32_t>(t[i]);
  }
  mag_.top = -1;
  for (int i = kDigits - 1; i >= 0; --i) {
    if (mag_.digit[i] != 0) {
      mag_.top = i;
      break;
    }
  }
  cached_ = true;
  return mag_;
}

bool Exact::is_zero() const { return magnitude().top < 0; }

bool Exact::negative() const { return magnitude().negative; }

int Exact::msb_exponent() const {
  const Magnitude& m = magnitude();
  assert(m.top >= 0);
  return 32 * m.top + (31 - __builtin_clz(m.digit[m.top])) + kLsbExponent;
}

void Exact::extract(int lo, uint64_t& high, bool& half, bool& sticky) const {
  const Magnitude& m = magnitude();
  assert(lo >= 1 && lo / 32 + 2 < kDigits);
  const int di = lo / 32;
  const int off = lo % 32;
  for (int i = di + 3; i < kDigits; ++i) assert(m.digit[i] == 0 && "Exact: result too wide");
  const uint128 w = static_cast<uint128>(m.digit[di]) | (static_cast<uint128>(m.digit[di + 1]) << 32) |
                    (static_cast<uint128>(m.digit[di + 2]) << 64);
  assert(((w >> off) >> 63) == 0 && "Exact: result too wide");
  high = static_cast<uint64_t>(w >> off);
  const int hb = lo - 1;
  half = ((m.digit[hb / 32] >> (hb % 32)) & 1u) != 0;
  sticky = (m.digit[hb / 32] & ((1u << (hb % 32)) - 1u)) != 0;
  for (int i = 0; i < hb / 32 && !sticky; ++i) sticky = m.digit[i] != 0;
}

int64_t Exact::quantize(int q, BlockFmaModel::AlignRounding mode) const {
  if (is_zero()) return 0;
  uint64_t r;
  bool half, sticky;
  extract(q - kLsbExponent, r, half, sticky);
  const bool neg = negative();
  switch (mode) {
    case BlockFmaModel::AlignRounding::truncate_toward_zero: break;
    case BlockFmaModel::AlignRounding::truncate_toward_neg_inf:
      if (neg && (half || sticky)) ++r;
      break;
    case BlockFmaModel::AlignRounding::nearest_even:
      if (half && (sticky || (r & 1u))) ++r;
      break;
  }
  assert(r < (uint64_t{1} << 62));
  return neg ? -static_cast<int64_t>(r) : static_cast<int64_t>(r);
}


float Exact::round(int fraction_bits, BlockFmaModel::ResultRounding mode) const {
  assert(fraction_bits >= 0 && fraction_bits <= 23);
  const int e = msb_exponent();
  const int q = std::max(e, kFp32MinExponent) - fraction_bits;
  uint64_t r;
  bool half, sticky;
  extract(q - kLsbExponent, r, half, sticky);
  if (mode == BlockFmaModel::ResultRounding::nearest_even && half && (sticky || (r & 1u))) ++r;
  return assemble(negative(), r, q);
}

// ---------------------------------------------------------------------------------------------
// Special values

Special combine(Special x, Special y) {
  if (x == Special::nan || y == Special::nan) return Special::nan;
  if (x == Special::none) return y;
  if (y == Special::none || x == y) return x;
  return Special::nan;  // +inf and -inf
}

Special product_special(Special a, bool a_is_zero, bool a_negative, Special b, bool b_is_zero,
                        bool b_negative) {
  if (a == Special::nan || b == Special::nan) return Special::nan;
  if (a == Special::none && b == Special::none) return Special::none;
  if (a_is_zero || b_is_zero) return Special::nan;  // inf * 0
  return (a_negative != b_negative) ? Special::neg_inf : Special::pos_inf;
}

// ---------------------------------------------------------------------------------------------
// One block

void run_block(const BlockFmaModel& model, const BlockProducts& products, BlockValue& acc) {
  if (acc.special != Special::none || products.special != Special::none) {
    acc.special = combine(acc.special, products.special);
    return;
  }
  const int n = products.count;
  const bool c_zero = acc.value.is_zero();
  // IEEE sign of an exact zero: negative only when every addend is a negative zero.
  const bool all_zero_negative = acc.negative_zero && products.zeros_all_negative;
  if (n == 0 && c_zero) {
    acc.negative_zero = all_zero_negative;
    return;
  }
  acc.negative_zero = false;  // some addend is non-zero: an exact zero sum is +0

  if (model.exact) {
    for (int i = 0; i < n; ++i) {
      acc.value.add(products.terms[i].significand, products.terms[i].lsb_exponent);
    }
    return;
  }

  int e_products = INT_MIN;
  for (int i = 0; i < n; ++i) e_products = std::max(e_products, products.terms[i].alignment_exponent);
  const int f = model.alignment_fraction_bits;
  const auto mode = model.align_rounding;

  if (model.c_placement == BlockFmaModel::CPlacement::aligned_with_products) {
    int e = e_products;
    if (!c_zero) e = std::max(e, std::max(acc.value.msb_exponent(), kFp32MinExponent));
    const int q = e - f;
    int128 s = 0;
    for (int i = 0; i < n; ++i) {
      s += quantize_int(products.terms[i].significand, products.terms[i].lsb_exponent, q, mode);
    }
    if (!c_zero) s += acc.value.quantize(q, mode);
    acc.value.clear();
    acc.value.add(s, q);
  } else if (n > 0) {
    const int q = e_products - f;
    int128 s = 0;
    for (int i = 0; i < n; ++i) {
      s += quantize_int(products.terms[i].significand, products.terms[i].lsb_exponent, q, mode);
    }
    acc.value.add(s, q);  // C joins exactly, after the products' alignment
  }
}

float finish(const BlockFmaModel& model, const BlockValue& acc) {
  switch (acc.special) {
    case Special::nan: return float_from_bits(0x7FFFFFFFu);
    case Special::pos_inf: return std::numeric_limits<float>::infinity();
    case Special::neg_inf: return -std::numeric_limits<float>::infinity();
    case Special::none: break;
  }
  if (acc.value.is_zero()) return acc.negative_zero ? -0.0f : 0.0f;
  return acc.value.round(model.result_fraction_bits, model.result_rounding);
}

void load(BlockValue& acc, float c) {
  acc.value.clear();
  acc.special = Special::none;
  acc.negative_zero = false;
  if (std::isnan(c)) {
    acc.special = Special::nan;
  } else if (std::isinf(c)) {
    acc.special = c > 0 ? Special::pos_inf : Special::neg_inf;
  } else if (c == 0.0f) {
    acc.negative_zero = std::signbit(c);
  } else {
    const uint32_t u = float_bits(c);
    const uint32_t exp_field = (u >> 23) & 0xFFu;
    const uint32_t frac = u & 0x7FFFFFu;
    const int64_t sig = exp_field == 0 ? frac : (frac | 0x800000u);
    const int lsb = exp_field == 0 ? -149 : static_cast<int>(exp_field) - 150;
    acc.value.add((u >> 31) ? -sig : sig, lsb);
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Public interface

std::string check_model(const BlockFmaModel& model) {
  if (model.products_per_block < 1 || model.products_per_block > 4096) {
    return "products_per_block must be in [1, 4096]";
  }
  if (!model.exact && (model.alignment_fraction_bits < 0 || model.alignment_fraction_bits > 48)) {
    return "alignment_fraction_bits must be in [0, 48]";
  }
  if (model.result_fraction_bits < 1 || model.result_fraction_bits > 23) {
    return "result_fraction_bits must be in [1, 23] (the result is an FP32 number)";
  }
  return {};
}

namespace {

using detail::BlockProducts;
using detail::Special;
using detail::Term;

struct Operand {
  Special special = Special::none;
  bool zero = false;
  bool negative = false;
  int64_t significand = 0;  // signed, odd
  int lsb_exponent = 0;
  int exponent = 0;  // as the exponent field says: floor(log2|x|), not below the format's minimum
};

Operand decompose(double x, const FormatInfo& fi) {
  Operand o;
  o.negative = std::signbit(x);
  if (std::isnan(x)) {
    o.special = Special::nan;
    return o;
  }
  if (std::isinf(x)) {
    o.special = o.negative ? Special::neg_inf : Special::pos_inf;
    return o;
  }
  if (x == 0.0) {
    o.zero = true;
    return o;
  }
  int e = 0;
  const double f = std::frexp(std::fabs(x), &e);
  uint64_t m = static_cast<uint64_t>(std::ldexp(f, 53));
  const int tz = __builtin_ctzll(m);
  m >>= tz;
  assert(m < (uint64_t{1} << 31) && "block_fma operands have at most 31 significant bits");
  o.significand = o.negative ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
  o.lsb_exponent = e - 53 + tz;
  o.exponent = std::max(e - 1, fi.min_exponent);
  return o;
}

// Products of a[0..n) and b[0..n) as the model sees them; terms receives the non-zero ones.
BlockProducts make_products(const BlockFmaModel& model, const double* a, const double* b, int n,
                            const FormatInfo& fi, std::vector<Term>& terms) {
  terms.clear();
  BlockProducts p;
  for (int i = 0; i < n; ++i) {
    const Operand x = decompose(a[i], fi);
    const Operand y = decompose(b[i], fi);
    const Special s = detail::product_special(x.special, x.zero, x.negative, y.special, y.zero,
                                              y.negative);
    if (s != Special::none) {
      p.special = detail::combine(p.special, s);
      continue;
    }
    if (x.zero || y.zero) {
      p.zeros_all_negative = p.zeros_all_negative && (x.negative != y.negative);
      continue;
    }
    Term t;
    t.significand = x.significand * y.significand;
    t.lsb_exponent = x.lsb_exponent + y.lsb_exponent;
    if (model.product_exponent == BlockFmaModel::ProductExponent::operand_exponent_sum) {
      t.alignment_exponent = x.exponent + y.exponent;
    } else {
      const uint64_t mag = static_cast<uint64_t>(std::llabs(t.significand));
      t.alignment_exponent = (63 - __builtin_clzll(mag)) + t.lsb_exponent;
    }
    terms.push_back(t);
  }
  p.terms = terms.data();
  p.count = static_cast<int>(terms.size());
  return p;
}

}  // namespace

float block_fma(const BlockFmaModel& model, const double* a, const double* b, int n, float c,
                Format operand_format) {
  assert(check_model(model).empty());
  assert(n >= 0);
  std::vector<Term> terms;
  detail::BlockValue acc;
  detail::load(acc, c);
  const BlockProducts p =
      make_products(model, a, b, n, format_info(model.operand_format.value_or(operand_format)), terms);
  detail::run_block(model, p, acc);
  return detail::finish(model, acc);
}

float dot(const BlockFmaModel& model, const double* a, const double* b, int k, float c,
          Format operand_format) {
  assert(check_model(model).empty());
  assert(k >= 0);
  const FormatInfo& fi = format_info(model.operand_format.value_or(operand_format));
  std::vector<Term> terms;
  detail::BlockValue acc;
  detail::load(acc, c);
  if (k == 0) return c;
  for (int start = 0; start < k; start += model.products_per_block) {
    const int n = std::min(model.products_per_block, k - start);
    const BlockProducts p = make_products(model, a + start, b + start, n, fi, terms);
    detail::run_block(model, p, acc);
    const bool last = start + n >= k;
    if (model.normalize_each_block && !last) detail::load(acc, detail::finish(model, acc));
  }
  return detail::finish(model, acc);
}

}  // namespace hwlab::numerics

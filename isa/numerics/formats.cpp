#include "isa/numerics/formats.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace hwlab::numerics {
namespace {

const FormatInfo kFormats[] = {
    // name    bits eb fb bias  emin  emax  max_finite                          sign   inf
    {"e4m3", 8, 4, 3, 7, -6, 8, 448.0, true, false},
    {"e5m2", 8, 5, 2, 15, -14, 15, 57344.0, true, true},
    {"ue8m0", 8, 8, 0, 127, -127, 127, 0x1p127, false, false},
    {"bf16", 16, 8, 7, 127, -126, 127, 0x1.FEp127, true, true},
    {"fp16", 16, 5, 10, 15, -14, 15, 65504.0, true, true},
    {"fp32", 32, 8, 23, 127, -126, 127, 0x1.FFFFFEp127, true, true},
};

uint32_t canonical_nan(Format f) {
  switch (f) {
    case Format::e4m3:
    case Format::e5m2: return 0x7F;
    case Format::ue8m0: return 0xFF;
    case Format::bf16:
    case Format::fp16: return 0x7FFF;
    case Format::fp32: return 0x7FFFFFFFu;
  }
  return 0;
}

uint32_t max_finite_code(Format f) {
  const FormatInfo& fi = format_info(f);
  const uint32_t frac_all = (1u << fi.fraction_bits) - 1u;
  const uint32_t exp_field = static_cast<uint32_t>(fi.max_exponent + fi.bias);
  // E4M3 spends the all-ones fraction of its top exponent on NaN.
  const uint32_t frac = f == Format::e4m3 ? frac_all - 1u : frac_all;
  return (exp_field << fi.fraction_bits) | frac;
}

uint32_t infinity_code(const FormatInfo& fi) {
  return ((1u << fi.exponent_bits) - 1u) << fi.fraction_bits;
}

}  // namespace

const FormatInfo& format_info(Format format) { return kFormats[static_cast<int>(format)]; }

const char* format_name(Format format) { return format_info(format).name; }

std::optional<Format> parse_format(std::string_view name) {
  for (int i = 0; i < 6; ++i) {
    if (name == kFormats[i].name) return static_cast<Format>(i);
  }
  return std::nullopt;
}

bool is_nan_code(Format format, uint32_t code) {
  const FormatInfo& fi = format_info(format);
  if (format == Format::ue8m0) return code == 0xFF;
  const uint32_t mag = code & ((1u << (fi.bits - 1)) - 1u);
  if (format == Format::e4m3) return mag == 0x7F;
  return mag > infinity_code(fi);
}

bool is_inf_code(Format format, uint32_t code) {
  const FormatInfo& fi = format_info(format);
  if (!fi.has_infinity) return false;
  return (code & ((1u << (fi.bits - 1)) - 1u)) == infinity_code(fi);
}

double decode(Format format, uint32_t code) {
  const FormatInfo& fi = format_info(format);
  assert(fi.bits == 32 || code < (1u << fi.bits));
  if (format == Format::ue8m0) {
    if (code == 0xFF) return std::numeric_limits<double>::quiet_NaN();
    return std::ldexp(1.0, static_cast<int>(code) - 127);
  }
  if (is_nan_code(format, code)) return std::numeric_limits<double>::quiet_NaN();
  const bool negative = (code >> (fi.bits - 1)) & 1u;
  const uint32_t exp_field = (code >> fi.fraction_bits) & ((1u << fi.exponent_bits) - 1u);
  const uint32_t frac = code & ((1u << fi.fraction_bits) - 1u);
  double mag;
  if (fi.has_infinity && exp_field == (1u << fi.exponent_bits) - 1u) {
    mag = std::numeric_limits<double>::infinity();
  } else if (exp_field == 0) {
    mag = std::ldexp(static_cast<double>(frac), fi.min_exponent - fi.fraction_bits);
  } else {
    mag = std::ldexp(static_cast<double>((1u << fi.fraction_bits) | frac),
                     static_cast<int>(exp_field) - fi.bias - fi.fraction_bits);
  }
  return negative ? -mag : mag;
}

uint32_t encode(Format format, double x, Saturation saturation) {
  assert(format != Format::ue8m0 && "UE8M0 scales are encoded with encode_ue8m0");
  const FormatInfo& fi = format_info(format);
  if (std::isnan(x)) return canonical_nan(format);
  const uint32_t sign = std::signbit(x) ? (1u << (fi.bits - 1)) : 0u;
  // What an overflow (or an infinity) becomes.
  auto overflow = [&]() -> uint32_t {
    if (saturation == Saturation::finite) return sign | max_finite_code(format);
    if (fi.has_infinity) return sign | infinity_code(fi);
    return sign | 0x7Fu;  // E4M3 has no infinity: NaN, keeping the sign as CUDA does
  };
  const double a = std::fabs(x);
  if (std::isinf(a)) return overflow();
  if (a == 0.0) return sign;

  // a = m * 2^(e - 53) with m a 53-bit integer.
  int e = 0;
  const double f = std::frexp(a, &e);
  const uint64_t m = static_cast<uint64_t>(std::ldexp(f, 53));
  // Quantum of the result: one unit in the last place at a's exponent, or in the subnormal range.
  const int q = std::max(e - 1, fi.min_exponent) - fi.fraction_bits;
  const int shift = q - (e - 53);
  uint64_t n;
  if (shift <= 0) {
    n = m << -shift;
  } else if (shift >= 64) {
    n = 0;
  } else {
    n = m >> shift;
    const uint64_t rem = m & ((uint64_t{1} << shift) - 1u);
    const uint64_t half = uint64_t{1} << (shift - 1);
    if (rem > half || (rem == half && (n & 1u))) ++n;
  }
  if (n == 0) return sign;
  int quantum = q;
  const uint64_t hidden = uint64_t{1} << fi.fraction_bits;
  if (n < hidden) {
    // Subnormal: only reachable with quantum at the bottom of the range.
    return sign | static_cast<uint32_t>(n);
  }
  if (n >= 2 * hidden) {  // rounding carried into the next binade (n == 2 * hidden exactly)
    n >>= 1;
    ++quantum;
  }
  const int exponent = quantum + fi.fraction_bits;
  const uint32_t frac = static_cast<uint32_t>(n - hidden);
  const uint32_t exp_field = static_cast<uint32_t>(exponent + fi.bias);
  const uint32_t code = (exp_field << fi.fraction_bits) | frac;
  if (exponent > fi.max_exponent || code > max_finite_code(format)) return overflow();
  return sign | code;
}

uint8_t encode_ue8m0(float x, ScaleRounding rounding, Saturation saturation) {
  // Follows CUDA's host path: truncate (or round up) the float to BF16, whose top byte after the
  // sign is the biased exponent; round up when the BF16 fraction is non-zero.
  const uint32_t ux = float_bits(x);
  uint32_t bf16;
  if ((ux & 0x7FFFFFFFu) > 0x7F800000u) {
    bf16 = 0x7FFF;  // NaN
  } else if (rounding == ScaleRounding::toward_zero) {
    bf16 = ux >> 16;
  } else {
    const uint32_t ax = ux & 0x7FFFFFFFu;
    bf16 = (ax < 0x7F800000u && (ax & 0xFFFFu) != 0) ? (ax >> 16) + 1u : (ax >> 16);
  }
  uint32_t res = (bf16 >> 7) & 0xFFu;
  if (rounding == ScaleRounding::up && (bf16 & 0x7Fu) != 0 && (bf16 & 0x7FFFu) > 0x0040u &&
      (bf16 & 0x7FFFu) < 0x7F80u) {
    ++res;
  }
  if (saturation == Saturation::finite && (bf16 & 0x7FFFu) <= 0x7F80u && res == 0xFFu) res = 0xFE;
  return static_cast<uint8_t>(res);
}

float round_to_fp32(double x) {
  return float_from_bits(encode(Format::fp32, x, Saturation::none));
}

}  // namespace hwlab::numerics

// Formats: every code of the 8-bit formats, known values, CUDA's saturation rules, and a large
// deterministic sample of conversions checked against a slow reference that enumerates the
// representable values and picks the nearest (ties to the even code).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "isa/numerics/formats.h"

using namespace hwlab::numerics;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool same(double x, double y) {
  if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
  return x == y && std::signbit(x) == std::signbit(y);
}

// Slow reference: the non-negative finite values of a format, in code order, plus the first value
// past the largest finite one (2^(emax+1), or 480 for E4M3 whose slot is NaN); the nearest wins,
// a tie goes to the even code; landing on the extra value is an overflow.
struct Reference {
  Format format;
  std::vector<double> values;  // index = code (sign bit clear), last one virtual
  uint32_t max_code = 0;

  explicit Reference(Format f) : format(f) {
    const FormatInfo& fi = format_info(f);
    const uint32_t half = 1u << (fi.bits - 1);
    for (uint32_t c = 0; c < half; ++c) {
      const double v = decode(f, c);
      if (std::isnan(v) || std::isinf(v)) break;
      values.push_back(v);
    }
    max_code = static_cast<uint32_t>(values.size()) - 1;
    values.push_back(f == Format::e4m3 ? 480.0 : std::ldexp(1.0, fi.max_exponent + 1));
  }

  uint32_t encode(double x, Saturation sat) const {
    const FormatInfo& fi = format_info(format);
    if (std::isnan(x)) return f_nan();
    const uint32_t sign = std::signbit(x) ? (1u << (fi.bits - 1)) : 0u;
    const double a = std::fabs(x);
    size_t best = 0;
    if (std::isinf(a)) {
      best = values.size() - 1;
    } else {
      // First value >= a; the answer is it or its predecessor.
      const auto it = std::lower_bound(values.begin(), values.end(), a);
      if (it == values.end()) {
        best = values.size() - 1;
      } else {
        best = static_cast<size_t>(it - values.begin());
        if (best > 0) {
          const double lo = values[best - 1], hi = values[best];
          const double dlo = a - lo, dhi = hi - a;  // exact: neighbours within a binade or two
          if (dlo < dhi || (dlo == dhi && (best - 1) % 2 == 0)) best = best - 1;
        }
      }
    }
    if (best == values.size() - 1) {  // overflow
      if (sat == Saturation::finite) return sign | max_code;
      if (fi.has_infinity) return sign | (max_code + 1);
      return sign | 0x7Fu;
    }
    return sign | static_cast<uint32_t>(best);
  }

  uint32_t f_nan() const {
    switch (format) {
      case Format::e4m3:
      case Format::e5m2: return 0x7F;
      case Format::bf16:
      case Format::fp16: return 0x7FFF;
      default: return 0x7FFFFFFF;
    }
  }
};

// Doubles around and inside a format's range: random significands, exact midpoints between
// neighbours and their double-precision neighbours, tiny and huge values.
std::vector<double> sample(Format f, std::mt19937_64& rng, int count) {
  const FormatInfo& fi = format_info(f);
  std::vector<double> xs;
  const int lo = fi.min_exponent - fi.fraction_bits - 3;
  const int hi = fi.max_exponent + 2;
  for (int i = 0; i < count; ++i) {
    const uint64_t r = rng();
    const int e = lo + static_cast<int>(r % static_cast<uint64_t>(hi - lo + 1));
    const uint64_t mant = rng() & ((uint64_t{1} << 52) - 1);
    double x = std::ldexp(1.0 + std::ldexp(static_cast<double>(mant), -52), e);
    if (r & (uint64_t{1} << 40)) x = -x;
    xs.push_back(x);
  }
  // Midpoints of all neighbouring pairs of (a subset of) codes, and one double ulp either side.
  Reference ref(f);
  const size_t step = std::max<size_t>(1, ref.values.size() / 4096);
  for (size_t c = 0; c + 1 < ref.values.size(); c += step) {
    const double mid = (ref.values[c] + ref.values[c + 1]) / 2;
    for (double x : {mid, std::nextafter(mid, 0.0), std::nextafter(mid, kInf)}) {
      xs.push_back(x);
      xs.push_back(-x);
    }
  }
  for (double x : {0.0, -0.0, kInf, -kInf, 1e-300, -1e-300, 1e300, -1e300, fi.max_finite}) {
    xs.push_back(x);
  }
  return xs;
}

}  // namespace

TEST_CASE("E4M3 codes decode to the OCP values", "[numerics][formats]") {
  CHECK(decode(Format::e4m3, 0x7E) == 448.0);
  CHECK(decode(Format::e4m3, 0xFE) == -448.0);
  CHECK(decode(Format::e4m3, 0x01) == std::ldexp(1.0, -9));
  CHECK(decode(Format::e4m3, 0x07) == 7 * std::ldexp(1.0, -9));  // largest subnormal
  CHECK(decode(Format::e4m3, 0x08) == std::ldexp(1.0, -6));      // smallest normal
  CHECK(decode(Format::e4m3, 0x38) == 1.0);
  CHECK(decode(Format::e4m3, 0x3F) == 1.875);
  CHECK(decode(Format::e4m3, 0x40) == 2.0);
  CHECK(decode(Format::e4m3, 0x77) == 240.0);  // would be infinity in an IEEE-style E4M3
  CHECK(same(decode(Format::e4m3, 0x80), -0.0));
  CHECK(std::isnan(decode(Format::e4m3, 0x7F)));
  CHECK(std::isnan(decode(Format::e4m3, 0xFF)));
  for (uint32_t c = 0; c < 256; ++c) {
    CHECK(is_nan_code(Format::e4m3, c) == ((c & 0x7F) == 0x7F));
    CHECK_FALSE(is_inf_code(Format::e4m3, c));
  }
}

TEST_CASE("E5M2 codes decode to the OCP values", "[numerics][formats]") {
  CHECK(decode(Format::e5m2, 0x7B) == 57344.0);
  CHECK(decode(Format::e5m2, 0x01) == std::ldexp(1.0, -16));
  CHECK(decode(Format::e5m2, 0x03) == 3 * std::ldexp(1.0, -16));
  CHECK(decode(Format::e5m2, 0x04) == std::ldexp(1.0, -14));
  CHECK(decode(Format::e5m2, 0x3C) == 1.0);
  CHECK(decode(Format::e5m2, 0x7C) == kInf);
  CHECK(decode(Format::e5m2, 0xFC) == -kInf);
  for (uint32_t c : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu, 0xFEu, 0xFFu}) {
    CHECK(std::isnan(decode(Format::e5m2, c)));
    CHECK(is_nan_code(Format::e5m2, c));
  }
  CHECK(is_inf_code(Format::e5m2, 0x7C));
  CHECK(is_inf_code(Format::e5m2, 0xFC));
  CHECK_FALSE(is_nan_code(Format::e5m2, 0x7C));
}

TEST_CASE("UE8M0 codes are powers of two", "[numerics][formats]") {
  CHECK(decode(Format::ue8m0, 0x7F) == 1.0);
  CHECK(decode(Format::ue8m0, 0x80) == 2.0);
  CHECK(decode(Format::ue8m0, 0x00) == std::ldexp(1.0, -127));
  CHECK(decode(Format::ue8m0, 0xFE) == std::ldexp(1.0, 127));
  CHECK(std::isnan(decode(Format::ue8m0, 0xFF)));
  CHECK(ue8m0_to_float(0x00) == std::ldexp(1.0f, -127));  // an FP32 subnormal, exact
  for (uint32_t c = 1; c < 0xFF; ++c) CHECK(decode(Format::ue8m0, c) == 2 * decode(Format::ue8m0, c - 1));
}

TEST_CASE("every 8-bit code survives decode then encode, and codes are ordered", "[numerics][formats]") {
  for (Format f : {Format::e4m3, Format::e5m2}) {
    INFO(format_name(f));
    double previous = -kInf;
    for (uint32_t c = 0; c < 0x80; ++c) {  // positive codes in increasing order
      const double v = decode(f, c);
      if (std::isnan(v)) continue;
      CHECK(v > previous);
      previous = v;
    }
    for (uint32_t c = 0; c < 256; ++c) {
      INFO("code " << c);
      const double v = decode(f, c);
      if (std::isnan(v)) {
        CHECK(encode(f, v, Saturation::none) == 0x7Fu);
        CHECK(encode(f, v, Saturation::finite) == 0x7Fu);
        continue;
      }
      CHECK(same(decode(f, c ^ 0x80), -v));  // the sign bit is a sign bit
      CHECK(encode(f, v, Saturation::none) == c);
      if (std::isinf(v)) {
        CHECK(encode(f, v, Saturation::finite) == ((c & 0x80) | 0x7Bu));
      } else {
        CHECK(encode(f, v, Saturation::finite) == c);
      }
    }
  }
  for (uint32_t c = 0; c < 0xFF; ++c) {
    const float v = ue8m0_to_float(static_cast<uint8_t>(c));
    CHECK(encode_ue8m0(v, ScaleRounding::toward_zero, Saturation::none) == c);
    CHECK(encode_ue8m0(v, ScaleRounding::up, Saturation::none) == c);
  }
}

TEST_CASE("16-bit formats survive decode then encode for every code", "[numerics][formats]") {
  for (Format f : {Format::bf16, Format::fp16}) {
    INFO(format_name(f));
    for (uint32_t c = 0; c < 65536; ++c) {
      const double v = decode(f, c);
      if (std::isnan(v)) {
        CHECK(encode(f, v, Saturation::none) == 0x7FFFu);
      } else if (encode(f, v, Saturation::none) != c) {
        FAIL("code " << c);
      }
    }
  }
  CHECK(decode(Format::fp16, 0x7BFF) == 65504.0);
  CHECK(decode(Format::fp16, 0x0001) == std::ldexp(1.0, -24));
  CHECK(decode(Format::bf16, 0x3F80) == 1.0);
  CHECK(decode(Format::bf16, 0x7F7F) == 0x1.FEp127);
}

TEST_CASE("saturation follows CUDA's __nv_cvt_float_to_fp8", "[numerics][formats]") {
  // E4M3: 448 is the largest; 464 (448 + half an ulp) ties to even (448); beyond, satfinite
  // clamps and nosat gives NaN with the sign kept.
  CHECK(float_to_e4m3(448.0) == 0x7E);
  CHECK(float_to_e4m3(460.0) == 0x7E);
  CHECK(float_to_e4m3(464.0, Saturation::none) == 0x7E);
  CHECK(float_to_e4m3(464.5) == 0x7E);
  CHECK(float_to_e4m3(464.5, Saturation::none) == 0x7F);
  CHECK(float_to_e4m3(-1e6, Saturation::none) == 0xFF);
  CHECK(float_to_e4m3(-1e6) == 0xFE);
  CHECK(float_to_e4m3(kInf) == 0x7E);
  CHECK(float_to_e4m3(-kInf) == 0xFE);
  CHECK(float_to_e4m3(kInf, Saturation::none) == 0x7F);
  CHECK(float_to_e4m3(kNaN) == 0x7F);
  CHECK(float_to_e4m3(-kNaN) == 0x7F);
  // Gradual underflow, ties to even, signed zero.
  CHECK(float_to_e4m3(std::ldexp(1.0, -10)) == 0x00);                  // tie -> 0
  CHECK(float_to_e4m3(std::nextafter(std::ldexp(1.0, -10), 1.0)) == 0x01);
  CHECK(float_to_e4m3(3 * std::ldexp(1.0, -10)) == 0x02);              // tie -> even
  CHECK(float_to_e4m3(-std::ldexp(1.0, -12)) == 0x80);
  CHECK(float_to_e4m3(1.0625) == 0x38);                                // tie -> even (1.0)
  CHECK(float_to_e4m3(1.1875) == 0x3A);                                // tie -> even (1.25)
  // E5M2: 61440 (57344 + half an ulp) ties to the even code, which is infinity.
  CHECK(float_to_e5m2(57344.0) == 0x7B);
  CHECK(float_to_e5m2(61439.0, Saturation::none) == 0x7B);
  CHECK(float_to_e5m2(61440.0, Saturation::none) == 0x7C);
  CHECK(float_to_e5m2(61440.0) == 0x7B);
  CHECK(float_to_e5m2(-kInf) == 0xFB);
  CHECK(float_to_e5m2(-kInf, Saturation::none) == 0xFC);
  CHECK(float_to_e5m2(kNaN) == 0x7F);
  CHECK(float_to_e5m2(std::ldexp(1.0, -17)) == 0x00);
  CHECK(float_to_e5m2(3 * std::ldexp(1.0, -17)) == 0x02);
  // FP16 / BF16 / FP32 follow IEEE: overflow to infinity.
  CHECK(float_to_fp16(65519.0) == 0x7BFF);
  CHECK(float_to_fp16(65520.0) == 0x7C00);
  CHECK(float_to_bf16(3.0e38 * 1.2) == 0x7F80);
  CHECK(float_bits(round_to_fp32(kNaN)) == 0x7FFFFFFFu);
  CHECK(float_bits(round_to_fp32(std::ldexp(1.0, -150))) == 0u);             // tie -> 0
  CHECK(float_bits(round_to_fp32(std::ldexp(3.0, -151))) == 1u);             // 0.75 ulp -> 1 ulp
}

TEST_CASE("UE8M0 encoding follows CUDA's __nv_cvt_float_to_e8m0", "[numerics][formats]") {
  CHECK(encode_ue8m0(1.0f, ScaleRounding::toward_zero, Saturation::finite) == 0x7F);
  CHECK(encode_ue8m0(1.5f, ScaleRounding::toward_zero, Saturation::finite) == 0x7F);
  CHECK(encode_ue8m0(1.5f, ScaleRounding::up, Saturation::finite) == 0x80);
  CHECK(encode_ue8m0(-4.0f, ScaleRounding::toward_zero, Saturation::finite) == 0x81);  // sign ignored
  CHECK(encode_ue8m0(0.0f, ScaleRounding::toward_zero, Saturation::finite) == 0x00);
  CHECK(encode_ue8m0(std::ldexp(1.0f, -128), ScaleRounding::up, Saturation::finite) == 0x00);
  CHECK(encode_ue8m0(std::ldexp(3.0f, -128), ScaleRounding::up, Saturation::finite) == 0x01);
  CHECK(encode_ue8m0(std::ldexp(1.5f, 127), ScaleRounding::up, Saturation::finite) == 0xFE);
  CHECK(encode_ue8m0(std::ldexp(1.5f, 127), ScaleRounding::up, Saturation::none) == 0xFF);
  CHECK(encode_ue8m0(std::numeric_limits<float>::infinity(), ScaleRounding::toward_zero,
                     Saturation::finite) == 0xFE);
  CHECK(encode_ue8m0(std::numeric_limits<float>::infinity(), ScaleRounding::toward_zero,
                     Saturation::none) == 0xFF);
  CHECK(encode_ue8m0(std::numeric_limits<float>::quiet_NaN(), ScaleRounding::up,
                     Saturation::finite) == 0xFF);
}

TEST_CASE("conversions agree with an enumerating reference on a large sample", "[numerics][formats]") {
  std::mt19937_64 rng(20241227);
  for (Format f : {Format::e4m3, Format::e5m2, Format::fp16, Format::bf16}) {
    INFO(format_name(f));
    const Reference ref(f);
    const std::vector<double> xs = sample(f, rng, 200000);
    size_t wrong = 0;
    for (double x : xs) {
      for (Saturation s : {Saturation::finite, Saturation::none}) {
        const uint32_t got = encode(f, x, s);
        const uint32_t want = ref.encode(x, s);
        if (got != want && ++wrong <= 5) {
          UNSCOPED_INFO("x = " << std::hexfloat << x << " got " << got << " want " << want);
        }
      }
      // float inputs convert the same as their double values (no double rounding).
      const float xf = static_cast<float>(x);
      CHECK(encode(f, xf, Saturation::finite) == ref.encode(static_cast<double>(xf), Saturation::finite));
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("FP32 rounding agrees with the hardware conversion", "[numerics][formats]") {
  std::mt19937_64 rng(7);
  size_t wrong = 0;
  for (int i = 0; i < 1000000; ++i) {
    const uint64_t r = rng();
    const int e = -160 + static_cast<int>(r % 300);  // subnormals, normals and overflow
    double x = std::ldexp(1.0 + std::ldexp(static_cast<double>(rng() >> 12), -52), e);
    if (r & 1) x = -x;
    if (float_bits(round_to_fp32(x)) != float_bits(static_cast<float>(x))) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("format names parse", "[numerics][formats]") {
  CHECK(parse_format("e4m3") == Format::e4m3);
  CHECK(parse_format("ue8m0") == Format::ue8m0);
  CHECK_FALSE(parse_format("fp8").has_value());
  CHECK(std::string(format_name(Format::bf16)) == "bf16");
}

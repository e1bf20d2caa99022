// Number formats of the FP8 datapath, with exact decoding and correctly rounded encoding.
//
//   e4m3   OCP FP8 E4M3: bias 7, no infinities, S.1111.111 is NaN, max 448, min subnormal 2^-9
//   e5m2   OCP FP8 E5M2: bias 15, IEEE-like (infinities, NaNs), max 57344, min subnormal 2^-16
//   ue8m0  OCP MX scale: exponent only, 2^(code-127), 0xFF is NaN, no sign, no zero
//   bf16, fp16, fp32   IEEE-style binary formats
//
// Decoding is exact (every code of every format is a double). Encoding rounds to nearest, ties to
// even, with gradual underflow, and applies the saturation rules of CUDA's conversions
// (__nv_cvt_float_to_fp8 and friends in cuda_fp8.hpp):
//   - Saturation::finite (__NV_SATFINITE): a value that rounds beyond the largest finite number,
//     and an infinity, become the largest finite number of the same sign; NaN stays NaN.
//   - Saturation::none (__NV_NOSAT): overflow gives infinity where the format has one (E5M2, BF16,
//     FP16, FP32) and NaN in E4M3.
//   - A NaN input encodes to the canonical positive NaN (E4M3/E5M2 0x7F, BF16/FP16 0x7FFF, FP32
//     0x7FFFFFFF), as __nv_cvt_float_to_fp8 does (it canonicalises a float NaN before converting).
//   - Results that underflow keep their sign (-2^-12 encodes to E4M3 0x80, negative zero).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace hwlab::numerics {

enum class Format : uint8_t { e4m3, e5m2, ue8m0, bf16, fp16, fp32 };

enum class Saturation : uint8_t {
  finite,  // __NV_SATFINITE
  none,    // __NV_NOSAT
};

struct FormatInfo {
  const char* name;
  int bits;               // width of a code
  int exponent_bits;
  int fraction_bits;      // stored fraction bits (significand precision is fraction_bits + 1)
  int bias;
  int min_exponent;       // exponent of the smallest normal number (1 - bias); subnormals share it
  int max_exponent;       // exponent of the largest finite number
  double max_finite;
  bool has_sign;
  bool has_infinity;
};

const FormatInfo& format_info(Format format);
// "e4m3", "e5m2", "ue8m0", "bf16", "fp16", "fp32".
std::optional<Format> parse_format(std::string_view name);
const char* format_name(Format format);

// Exact value of a code (NaN for NaN codes). Codes wider than the format are a programming error.
double decode(Format format, uint32_t code);
// Round-to-nearest-even encoding with the saturation rules above. UE8M0 is not rounded to nearest:
// use encode_ue8m0.
uint32_t encode(Format format, double x, Saturation saturation);

bool is_nan_code(Format format, uint32_t code);
bool is_inf_code(Format format, uint32_t code);

// UE8M0 scale encoding as CUDA's __nv_cvt_float_to_e8m0: the exponent of |x| (the sign is ignored),
// rounded toward zero or up; zero and values below 2^-127 give 0x00 (2^-127) when rounding toward
// zero, 0x00 or 0x01 when rounding up; NaN gives 0xFF; a value above 2^127 (or infinity) gives
// 0xFE with Saturation::finite and 0xFF (NaN) with Saturation::none.
enum class ScaleRounding : uint8_t { toward_zero, up };
uint8_t encode_ue8m0(float x, ScaleRounding rounding, Saturation saturation);

// Typed shorthands.
inline float e4m3_to_float(uint8_t code) { return static_cast<float>(decode(Format::e4m3, code)); }
inline float e5m2_to_float(uint8_t code) { return static_cast<float>(decode(Format::e5m2, code)); }
inline float ue8m0_to_float(uint8_t code) { return static_cast<float>(decode(Format::ue8m0, code)); }
inline float bf16_to_float(uint16_t code) { return static_cast<float>(decode(Format::bf16, code)); }
inline float fp16_to_float(uint16_t code) { return static_cast<float>(decode(Format::fp16, code)); }
inline uint8_t float_to_e4m3(double x, Saturation s = Saturation::finite) {
  return static_cast<uint8_t>(encode(Format::e4m3, x, s));
}
inline uint8_t float_to_e5m2(double x, Saturation s = Saturation::finite) {
  return static_cast<uint8_t>(encode(Format::e5m2, x, s));
}
inline uint16_t float_to_bf16(double x) {
  return static_cast<uint16_t>(encode(Format::bf16, x, Saturation::none));
}
inline uint16_t float_to_fp16(double x) {
  return static_cast<uint16_t>(encode(Format::fp16, x, Saturation::none));
}
// x rounded to FP32 (nearest even, overflow to infinity).
float round_to_fp32(double x);

inline uint32_t float_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace hwlab::numerics

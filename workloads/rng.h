// Counter-based deterministic random numbers for the workload generators.
//
// Same inputs, same bits, on any x86-64 Linux: everything here is integer arithmetic or IEEE-754
// +, -, *, / on doubles (each exactly rounded), never std::*_distribution (whose algorithms differ
// between standard libraries) and never libm's log/exp (whose last bit differs between libm
// versions); det_log/det_exp are therefore our own. Compile users with -ffp-contract=off (as
// workloads/CMakeLists.txt does for routing.cpp), or a compiler targeting FMA may fuse a*b+c.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hwlab::workloads {

// The SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijection on 64 bits with good avalanche.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The golden-ratio increment of SplitMix64.
constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// Derives the seed of an independent stream from a user seed and up to three coordinates (e.g.
// stream, token). Each word is mixed in with its own position, so (a, b) and (b, a) differ.
constexpr uint64_t hash_seed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t h = mix64(seed + kGoldenGamma);
  h = mix64(h ^ mix64(a + 1 * kGoldenGamma));
  h = mix64(h ^ mix64(b + 2 * kGoldenGamma));
  h = mix64(h ^ mix64(c + 3 * kGoldenGamma));
  return h;
}

namespace detail {

// ln(c) for c in [0.7, 1.42] by the series 2 atanh((c-1)/(c+1)); constexpr, so that the table
// below is fixed at compile time (compile-time IEEE arithmetic rounds exactly as at run time).
constexpr double log_series(double c) {
  const double f = (c - 1) / (c + 1);  // |f| < 0.172
  const double f2 = f * f;
  // atanh(f)/f = sum f^(2i) / (2i+1); f2 < 0.0295, so terms up to f^24 reach 2^-60 relative.
  double series = 1.0 / 25;
  for (int i = 11; i >= 0; --i) series = series * f2 + 1.0 / (2 * i + 1);
  return 2 * f * series;
}

// det_log's table: for c = i/256, i in [180, 363], 1/c and ln(c).
struct LogTableEntry {
  double inv_c, log_c;
};
constexpr int kLogTableFirst = 180, kLogTableSize = 184;
struct LogTable {
  LogTableEntry entry[kLogTableSize];
};
constexpr LogTable make_log_table() {
  LogTable t{};
  for (int i = 0; i < kLogTableSize; ++i) {
    const double c = (kLogTableFirst + i) / 256.0;
    t.entry[i] = {1 / c, log_series(c)};
  }
  return t;
}
inline constexpr LogTable kLogTable = make_log_table();

inline uint64_t bits_of(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double double_of(uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

}  // namespace detail

// ln(x) for finite x > 0 from integer and + - * operations only: x = m * 2^e with m in
// [sqrt(1/2), sqrt(2)), c = m rounded to a multiple of 1/256 (so m - c is exact), and
// ln(x) = e ln2 + ln(c) + ln(1 + r), r = (m - c)/c with |r| < 2^-8.5, by a degree-7 series.
// Within about 1 ulp of the true value, and accurate relative to the result near x = 1 (where c = 1
// and ln(c) = 0), which the Gumbel transform -ln(-ln U) needs for U close to 1. No data-dependent
// branch for normal x: a mispredicted one costs more than the whole series.
// Returns -inf for 0 and NaN for x < 0 or NaN.
inline double det_log(double x) {
  if (!(x > 0)) return x == 0 ? -HUGE_VAL : std::nan("");
  if (std::isinf(x)) return x;
  int e = 0;
  uint64_t b = detail::bits_of(x);
  if (b < (uint64_t{1} << 52)) {  // subnormal: scale into the normal range (exact)
    b = detail::bits_of(x * 0x1p54);
    e = -54;
  }
  // The exponent/mantissa split of fdlibm and musl, shifted so that m lands in [sqrt(1/2), sqrt(2)):
  // the carry out of the mantissa field adds one to the exponent exactly when the mantissa >= sqrt 2.
  constexpr uint64_t kHalfSqrt2Bits = 0x3FE6A09E667F3BCDull;  // sqrt(1/2)
  b += uint64_t{0x3FF} << 52;
  b -= kHalfSqrt2Bits;
  e += static_cast<int>(b >> 52) - 0x3FF;
  const double m = detail::double_of((b & ((uint64_t{1} << 52) - 1)) + kHalfSqrt2Bits);
  const int i = static_cast<int>(m * 256 + 0.5);  // exact product and sum: 181..362
  const detail::LogTableEntry& t = detail::kLogTable.entry[i - detail::kLogTableFirst];
  const double r = (m - i * (1.0 / 256)) * t.inv_c;  // m - c is exact (Sterbenz)
  // ln(1 + r) = r - r^2/2 + r^3/3 - ... - r^6/6 + r^7/7, first omitted term below 2^-62 relative,
  // evaluated in Estrin's scheme (shorter dependency chain than Horner's).
  const double r2 = r * r, r4 = r2 * r2;
  const double poly = r + (r2 * (-1.0 / 2 + r * (1.0 / 3)) +
                           r4 * ((-1.0 / 4 + r * (1.0 / 5)) + r2 * (-1.0 / 6 + r * (1.0 / 7))));
  const double ln2_hi = 6.93147180369123816490e-01;  // 32 significant bits: e * ln2_hi is exact
  const double ln2_lo = 1.90821492927058770002e-10;
  const double de = e;
  return de * ln2_hi + (t.log_c + (poly + de * ln2_lo));
}

// e^x from + - * / only: x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series, times 2^k.
// Within about 1 ulp of the true value; 0 below -745, +inf above 709.8.
inline double det_exp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.78) return HUGE_VAL;
  if (x < -745.2) return 0.0;
  const double k = std::floor(x * 1.44269504088896340736 + 0.5);  // nearest integer to x / ln2
  const double ln2_hi = 6.93147180369123816490e-01;  // 32 significant bits: k * ln2_hi is exact
  const double ln2_lo = 1.90821492927058770002e-10;
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  // |r| <= 0.347: the terms up to r^17/17! reach 2^-60 relative. Horner: 1 + r/1 (1 + r/2 (1 + ...)).
  constexpr double kInv[18] = {0,        1.0,      1.0 / 2,  1.0 / 3,  1.0 / 4,  1.0 / 5,
                               1.0 / 6,  1.0 / 7,  1.0 / 8,  1.0 / 9,  1.0 / 10, 1.0 / 11,
                               1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 / 15, 1.0 / 16, 1.0 / 17};
  double p = 1.0;
  for (int i = 17; i >= 1; --i) p = 1.0 + p * r * kInv[i];
  return std::ldexp(p, static_cast<int>(k));  // exact (or correctly rounded into subnormals)
}

// 1 / (1 + e^-x), the DeepSeek-V3 gate affinity.
inline double det_sigmoid(double x) { return 1.0 / (1.0 + det_exp(-x)); }

// A SplitMix64 stream: output n is mix64(seed + n * gamma), so a stream is fully determined by its
// seed and position. Derive seeds with hash_seed() to get independent streams.
class Rng {
 public:
  explicit constexpr Rng(uint64_t seed) : state_(seed) {}

  constexpr uint64_t next_u64() {
    state_ += kGoldenGamma;
    return mix64(state_);
  }

  // Uniform on [0, 1): the top 53 bits as a fraction, so every value is a multiple of 2^-53.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform on the open interval (0, 1): the top 53 bits plus one half, for logarithms.
  double uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

  // Uniform integer in [0, n) for n > 0 (Lemire's multiply-shift, without rejection: the bias of
  // any value is at most n / 2^64).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
  }

  // Standard Gumbel variate: -ln(-ln U) with U uniform on (0, 1). Finite: |value| < 40.
  double gumbel() { return -det_log(-det_log(uniform_open())); }

 private:
  uint64_t state_;
};

}  // namespace hwlab::workloads

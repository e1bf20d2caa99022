// Counter-based deterministic random numbers for the workload generators.
//
// Same inputs, same bits, on any x86-64 Linux: everything here is integer arithmetic or IEEE-754
// +, -, *, / on doubles (each exactly rounded), never std::*_distribution (whose algorithms differ
// between standard libraries) and never libm's log/exp (whose last bit differs between libm
// versions); det_log/det_exp are therefore our own, and so is the exponential ziggurat, whose
// tables are computed at compile time (constant evaluation rounds + - * / exactly as IEEE run-time
// arithmetic does). Compile users with -ffp-contract=off (as workloads/CMakeLists.txt does for
// routing.cpp), or a compiler targeting FMA may fuse a*b+c.
#pragma once

#include <algorithm>
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

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^20.
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;

// Compile-time ln(x) and e^x (within a few ulp) for building tables: only exact scalings by 2 and
// IEEE + - * /, so that the tables are the same bits whatever compiles them. Not for run time.
constexpr double ce_log(double x) {  // finite x > 0, not subnormal
  int e = 0;
  while (x >= 1.4142135623730951) x *= 0.5, ++e;
  while (x < 0.70710678118654757) x *= 2, --e;
  return e * kLn2Hi + (log_series(x) + e * kLn2Lo);
}
constexpr double ce_exp(double x) {  // |x| < 700
  const double t = x * 1.44269504088896340736;
  const int k = static_cast<int>(t >= 0 ? t + 0.5 : t - 0.5);
  const double r = (x - static_cast<double>(k) * kLn2Hi) - static_cast<double>(k) * kLn2Lo;
  double p = 1.0;
  for (int i = 17; i >= 1; --i) p = 1.0 + p * r * (1.0 / i);
  for (int i = 0; i < k; ++i) p *= 2;
  for (int i = 0; i > k; --i) p *= 0.5;
  return p;
}

// The tables of an exponential ziggurat (Marsaglia and Tsang, "The Ziggurat Method for Generating
// Random Variables", J. Stat. Softw. 5(8), 2000) with 1024 layers of equal area v under e^-x:
// x_1023 = r > x_1022 > ... > x_1 > x_0 = 0, where layer i >= 1 is the rectangle [0, x_i] x
// [e^-x_i, e^-x_(i-1)] and layer 0 is [0, r] x [0, e^-r] plus the tail x > r. r and v solve
// x_1 (1 - e^-x_1) = v, r e^-r + e^-r = v (solved to 40 digits with mpmath).
// A draw is x = j * w[i] for a layer i and an odd 53-bit j; when j < k[i] the point lies within the
// next layer's width and x is accepted at once (99.36 % of draws; 1024 layers rather than 256 cut
// the slow draws, and their mispredicted branches, from 2.2 % to 0.64 %).
struct ExpZiggurat {
  static constexpr int kLayers = 1024;
  static constexpr double kR = 9.2561645442655429;     // x_1023, where the tail starts
  static constexpr double kV = 9.7967899066202084e-4;  // area of each layer
  uint64_t k[kLayers];  // j < k[i]: accept x at once (j 2^-53 < x_(i-1) / x_i; layer 0: < r / q)
  double w[kLayers];    // x = j * w[i]: w[i] = x_i 2^-53 (layer 0: q 2^-53, q = v e^r)
  // The wedge of layer i >= 1 (x_(i-1) <= x < x_i), in coordinates a = (x_i - x) / h_i in [0, 1]
  // (h_i = x_i - x_(i-1)) and height U in [0, 1) between e^-x_i and e^-x_(i-1): e^-x is convex,
  // so it lies below the chord U = a and above both tangents U = a tau_i (at x_i) and
  // U = 1 - (1 - a) sigma_i (at x_(i-1)). Only points between those need e^-x itself.
  double a_scale[kLayers];  // a = (1 - j 2^-53) a_scale[i]: a_scale = x_i / h_i
  double tau[kLayers];      // h / (e^h - 1)
  double sigma[kLayers];    // h e^h / (e^h - 1)
  double f[kLayers];        // e^-x_i, f[0] = 1 (x_0 = 0)
  double df[kLayers];       // f[i - 1] - f[i], the height of layer i >= 1
};
constexpr ExpZiggurat make_exp_ziggurat() {
  ExpZiggurat z{};
  constexpr int n = ExpZiggurat::kLayers;
  constexpr double two53 = 9007199254740992.0;
  double x[n] = {};
  x[n - 1] = ExpZiggurat::kR;
  for (int i = n - 1; i >= 2; --i) x[i - 1] = -ce_log(ExpZiggurat::kV / x[i] + ce_exp(-x[i]));
  const double q = ExpZiggurat::kV / ce_exp(-ExpZiggurat::kR);
  z.k[0] = static_cast<uint64_t>(ExpZiggurat::kR / q * two53);
  z.w[0] = q / two53;
  z.f[0] = 1.0;
  for (int i = 1; i < n; ++i) {
    z.k[i] = static_cast<uint64_t>(x[i - 1] / x[i] * two53);  // k[1] = 0: layer 1 always tests
    z.w[i] = x[i] / two53;
    z.f[i] = ce_exp(-x[i]);
    z.df[i] = z.f[i - 1] - z.f[i];
    const double h = x[i] - x[i - 1], em1 = z.df[i] / z.f[i];  // e^h - 1
    z.a_scale[i] = x[i] / h;
    z.tau[i] = h / em1;
    z.sigma[i] = h * (z.f[i - 1] / z.f[i]) / em1;
  }
  return z;
}
inline constexpr ExpZiggurat kExpZiggurat = make_exp_ziggurat();

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

namespace detail {
struct ExpSlowResult {
  double value;
  uint64_t state;
};
ExpSlowResult exponential_slow(uint64_t state, unsigned i, uint64_t j);
}  // namespace detail

// A SplitMix64 stream: output n is mix64(seed + n * gamma), so a stream is fully determined by its
// seed and position. Derive seeds with hash_seed() to get independent streams.
class Rng {
 public:
  explicit constexpr Rng(uint64_t seed) : state_(seed) {}

  constexpr uint64_t state() const { return state_; }

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

  // Standard exponential variate Exp(1) by the ziggurat (detail::ExpZiggurat), > 0 and finite.
  // The fast path (99.36 % of draws) is one 64-bit output, a table look-up, an integer comparison
  // and one multiplication: bits 0-9 pick the layer, bits 11-63 (lowest forced to 1, so that no
  // draw is 0) give x. The rest (edge of a layer, tail) takes further outputs of this stream.
  // Values are multiples of 2^-53 x_i: the smallest is above 3e-18, the largest below 2^58 (each
  // step into the tail adds r and takes an output whose low 10 bits are 0; a stream's 2^64 outputs
  // are distinct, so at most 2^54 of them are such).
  double exponential() {
    const uint64_t r = next_u64();
    const auto i = static_cast<unsigned>(r) & (detail::ExpZiggurat::kLayers - 1);
    const uint64_t j = (r >> 11) | 1;
    if (__builtin_expect(j < detail::kExpZiggurat.k[i], 1))
      return static_cast<double>(static_cast<int64_t>(j)) * detail::kExpZiggurat.w[i];
    // The state goes by value both ways, so that it can stay in a register in the caller's loop.
    const detail::ExpSlowResult slow = detail::exponential_slow(state_, i, j);
    state_ = slow.state;
    return slow.value;
  }

 private:
  uint64_t state_;
};

namespace detail {

// The rare part of Rng::exponential(): the stream's state after the draw that failed the fast test
// in layer i with value j. Continues the same stream.
[[gnu::noinline]] inline ExpSlowResult exponential_slow(uint64_t state, unsigned i, uint64_t j) {
  const ExpZiggurat& z = kExpZiggurat;
  Rng rng(state);
  double shift = 0;  // the tail of e^-x beyond r is r + Exp(1)
  for (;;) {
    if (i == 0) {
      shift += z.kR;
    } else {
      // The wedge: accept x when a point at height U between e^-x_i and e^-x_(i-1) lies under
      // e^-x. The chord and tangent tests decide all but about 0.4 % of the points, and only with
      // a margin of 2^-40 (their rounding errors, fused or not, and those of the e^-x test stay
      // below 2^-42 here), so they never contradict the e^-x test, U df < e^-x - f: written so,
      // it has no a * b + c to fuse.
      const double jd = static_cast<double>(static_cast<int64_t>(j));
      const double x = jd * z.w[i];
      const double a = (1.0 - jd * 0x1p-53) * z.a_scale[i];
      const double u = rng.uniform();
      constexpr double kMargin = 0x1p-40;
      const double under = std::max(a * z.tau[i], 1.0 - (1.0 - a) * z.sigma[i]);
      if (u < under - kMargin || (!(u > a + kMargin) && u * z.df[i] < det_exp(-x) - z.f[i]))
        return {shift + x, rng.state()};
    }
    const uint64_t r = rng.next_u64();
    i = static_cast<unsigned>(r) & (ExpZiggurat::kLayers - 1);
    j = (r >> 11) | 1;
    if (j < z.k[i])
      return {shift + static_cast<double>(static_cast<int64_t>(j)) * z.w[i], rng.state()};
  }
}

}  // namespace detail

}  // namespace hwlab::workloads

#include "isa/logfmt.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "isa/numerics/formats.h"
#include "isa/rows.h"

namespace hwlab::isa {
namespace {

namespace nx = hwlab::numerics;

struct TileHeader {
  float min_log2 = 0.0f;
  float step_log2 = 0.0f;
};

uint64_t max_code(int bits) { return (uint64_t{1} << (bits - 1)) - 1; }  // K of the maximum

double level(const TileHeader& h, uint64_t k) {
  return std::exp2(static_cast<double>(h.min_log2) + static_cast<double>(h.step_log2) * static_cast<double>(k - 1));
}

void put_f32(uint8_t* p, float v) {
  const uint32_t b = nx::float_bits(v);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(b >> (8 * i));
}
float get_f32(const uint8_t* p) {
  uint32_t b = 0;
  for (int i = 3; i >= 0; --i) b = b << 8 | p[i];
  return nx::float_from_bits(b);
}

void put_code(uint8_t* codes, uint64_t j, int bits, uint64_t code) {
  for (int b = 0; b < bits; ++b) {
    const uint64_t bit = j * static_cast<uint64_t>(bits) + static_cast<uint64_t>(b);
    if ((code >> b) & 1) codes[bit / 8] = static_cast<uint8_t>(codes[bit / 8] | (1u << (bit % 8)));
  }
}
uint64_t get_code(const uint8_t* codes, uint64_t j, int bits) {
  uint64_t code = 0;
  for (int b = 0; b < bits; ++b) {
    const uint64_t bit = j * static_cast<uint64_t>(bits) + static_cast<uint64_t>(b);
    code |= static_cast<uint64_t>((codes[bit / 8] >> (bit % 8)) & 1) << b;
  }
  return code;
}

// The K (0 .. max) whose value is nearest to a > 0 in the linear domain, ties to the even K.
uint64_t nearest_code(const TileHeader& h, double a, int bits) {
  const uint64_t top = max_code(bits);
  if (h.step_log2 == 0.0f) return top;
  // Estimate in the log domain, then correct against the decoder's own levels.
  const double estimate = (std::log2(a) - h.min_log2) / h.step_log2 + 1.0;
  uint64_t k = estimate <= 1.0 ? 1 : estimate >= static_cast<double>(top) ? top : static_cast<uint64_t>(estimate);
  while (k > 1 && level(h, k) > a) --k;
  while (k < top && level(h, k + 1) <= a) ++k;
  // Now level(k) <= a < level(k + 1), or a is below level(1) (k = 1), or above the top level.
  uint64_t lo = k, hi = k + 1;
  double lo_value = level(h, k), hi_value = k < top ? level(h, k + 1) : 0.0;
  if (a < lo_value) {  // below level(1): zero or level(1)
    lo = 0, hi = 1, hi_value = lo_value, lo_value = 0.0;
  } else if (k == top) {
    return top;
  }
  const double below = a - lo_value, above = hi_value - a;
  if (below < above) return lo;
  if (above < below) return hi;
  return lo % 2 == 0 ? lo : hi;
}

}  // namespace

uint64_t logfmt_tile_bytes(uint64_t elements, int bits) {
  return 8 + (elements * static_cast<uint64_t>(bits) + 7) / 8;
}

uint64_t logfmt_row_bytes(uint64_t cols, int bits) {
  uint64_t total = 0;
  for (uint64_t begin = 0; begin < cols; begin += kTileElements)
    total += logfmt_tile_bytes(std::min(kTileElements, cols - begin), bits);
  return total;
}

std::string logfmt_encode_row(const float* values, uint64_t cols, int bits, uint8_t* out) {
  assert(bits >= kLogfmtMinBits && bits <= kLogfmtMaxBits);
  const double steps = static_cast<double>(max_code(bits) - 1);  // 2^(n-1) - 2
  for (uint64_t begin = 0; begin < cols; begin += kTileElements) {
    const uint64_t n = std::min(kTileElements, cols - begin);
    double lmin = INFINITY, lmax = -INFINITY;
    for (uint64_t j = 0; j < n; ++j) {
      const float x = values[begin + j];
      if (!std::isfinite(x)) return fmt::format("element {} is {}: LogFMT encodes finite values only", begin + j, x);
      if (x == 0.0f) continue;
      const double l = std::log2(std::fabs(static_cast<double>(x)));
      lmin = std::min(lmin, l);
      lmax = std::max(lmax, l);
    }
    TileHeader h;
    if (lmax != -INFINITY) {
      lmin = std::max(lmin, lmax - kLogfmtClampLog2);
      h.min_log2 = nx::round_to_fp32(lmin);
      h.step_log2 = nx::round_to_fp32((lmax - lmin) / steps);
    }
    put_f32(out, h.min_log2);
    put_f32(out + 4, h.step_log2);
    uint8_t* codes = out + 8;
    std::memset(codes, 0, logfmt_tile_bytes(n, bits) - 8);
    for (uint64_t j = 0; j < n; ++j) {
      const float x = values[begin + j];
      const uint64_t sign = std::signbit(x) ? uint64_t{1} << (bits - 1) : 0;
      const uint64_t k = x == 0.0f ? 0 : nearest_code(h, std::fabs(static_cast<double>(x)), bits);
      put_code(codes, j, bits, sign | k);
    }
    out += logfmt_tile_bytes(n, bits);
  }
  return "";
}

std::string logfmt_decode_row(const uint8_t* in, uint64_t cols, int bits, double* out) {
  assert(bits >= kLogfmtMinBits && bits <= kLogfmtMaxBits);
  for (uint64_t begin = 0; begin < cols; begin += kTileElements) {
    const uint64_t n = std::min(kTileElements, cols - begin);
    const TileHeader h{get_f32(in), get_f32(in + 4)};
    if (!std::isfinite(h.min_log2) || !std::isfinite(h.step_log2) || h.step_log2 < 0.0f)
      return fmt::format("tile {} has header min {} and Step {}: expected finite values and Step >= 0",
                         begin / kTileElements, h.min_log2, h.step_log2);
    const uint8_t* codes = in + 8;
    for (uint64_t j = 0; j < n; ++j) {
      const uint64_t code = get_code(codes, j, bits);
      const uint64_t k = code & max_code(bits);
      const double magnitude = k == 0 ? 0.0 : level(h, k);
      out[begin + j] = (code >> (bits - 1)) ? -magnitude : magnitude;
    }
    in += logfmt_tile_bytes(n, bits);
  }
  return "";
}

}  // namespace hwlab::isa

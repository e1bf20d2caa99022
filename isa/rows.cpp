#include "isa/rows.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "isa/numerics/formats.h"

namespace hwlab::isa {
namespace {

namespace nx = hwlab::numerics;

constexpr float kE4m3Max = 448.0f;
constexpr float kAmaxFloor = 1e-4f;

uint64_t scale_bytes(Dtype d) { return d == Dtype::e4m3s ? 4 : 1; }

}  // namespace

uint64_t tiles_of(uint64_t cols) { return (cols + kTileElements - 1) / kTileElements; }

uint64_t row_bytes(Dtype dtype, uint64_t cols) {
  switch (dtype) {
    case Dtype::fp32: return 4 * cols;
    case Dtype::bf16: return 2 * cols;
    case Dtype::e4m3s:
    case Dtype::e4m3u: return cols + scale_bytes(dtype) * tiles_of(cols);
  }
  return 0;
}

const char* dtype_name(Dtype dtype) { return dtype_enum().values[static_cast<size_t>(dtype)].name; }

float fp8_tile_scale(float amax, bool power_of_two) {
  const float scale = std::max(amax, kAmaxFloor) / kE4m3Max;  // FP32 division, nearest even
  if (!power_of_two) return scale;
  return nx::ue8m0_to_float(nx::encode_ue8m0(scale, nx::ScaleRounding::up, nx::Saturation::finite));
}

std::vector<float> load_row(Dtype dtype, const uint8_t* row, uint64_t cols) {
  std::vector<float> out(cols);
  switch (dtype) {
    case Dtype::fp32:
      std::memcpy(out.data(), row, 4 * cols);
      break;
    case Dtype::bf16:
      for (uint64_t i = 0; i < cols; ++i)
        out[i] = nx::bf16_to_float(static_cast<uint16_t>(row[2 * i] | row[2 * i + 1] << 8));
      break;
    case Dtype::e4m3s:
    case Dtype::e4m3u: {
      const uint8_t* scales = row + cols;
      for (uint64_t i = 0; i < cols; ++i) {
        const uint64_t t = i / kTileElements;
        float scale;
        if (dtype == Dtype::e4m3s) {
          uint32_t bits = 0;
          for (int b = 3; b >= 0; --b) bits = bits << 8 | scales[4 * t + static_cast<uint64_t>(b)];
          scale = nx::float_from_bits(bits);
        } else {
          scale = nx::ue8m0_to_float(scales[t]);
        }
        out[i] = nx::round_to_fp32(nx::decode(nx::Format::e4m3, row[i]) * static_cast<double>(scale));
      }
      break;
    }
  }
  return out;
}

std::string store_row(Dtype dtype, const float* values, uint64_t cols, uint8_t* out) {
  switch (dtype) {
    case Dtype::fp32:
      std::memcpy(out, values, 4 * cols);
      return "";
    case Dtype::bf16:
      for (uint64_t i = 0; i < cols; ++i) {
        const uint16_t code = nx::float_to_bf16(values[i]);
        out[2 * i] = static_cast<uint8_t>(code);
        out[2 * i + 1] = static_cast<uint8_t>(code >> 8);
      }
      return "";
    case Dtype::e4m3s:
    case Dtype::e4m3u:
      break;
  }
  const bool pow2 = dtype == Dtype::e4m3u;
  uint8_t* scales = out + cols;
  for (uint64_t t = 0; t < tiles_of(cols); ++t) {
    const uint64_t begin = t * kTileElements, end = std::min(cols, begin + kTileElements);
    float amax = 0.0f;
    for (uint64_t i = begin; i < end; ++i) {
      if (!std::isfinite(values[i]))
        return fmt::format("element {} is {}: FP8 with scales holds finite values only", i, values[i]);
      amax = std::max(amax, std::fabs(values[i]));
    }
    const float scale = fp8_tile_scale(amax, pow2);
    for (uint64_t i = begin; i < end; ++i)
      out[i] = nx::float_to_e4m3(values[i] / scale, nx::Saturation::finite);  // FP32 quotient
    if (pow2) {
      scales[t] = nx::encode_ue8m0(scale, nx::ScaleRounding::up, nx::Saturation::finite);
    } else {
      const uint32_t bits = nx::float_bits(scale);
      for (uint64_t b = 0; b < 4; ++b) scales[4 * t + b] = static_cast<uint8_t>(bits >> (8 * b));
    }
  }
  return "";
}

std::vector<uint8_t> bf16_row(const std::vector<float>& values) {
  std::vector<uint8_t> row(row_bytes(Dtype::bf16, values.size()));
  store_row(Dtype::bf16, values.data(), values.size(), row.data());
  return row;
}

std::string reduce_row(const std::vector<RowAddend>& addends, uint64_t cols, Dtype dtype, uint8_t* out) {
  // The one NaN a NaN sum is stored as (isa/numerics' canonical FP32 NaN; BF16 stores 0x7FFF anyway).
  // Which NaN an FP32 addition returns depends on its operand order (x86: the first operand's), and
  // compilers order the operands of a commutative addition freely (GCC 12 -O3 differently in the
  // vector body and the tails of the loop below), so the NaN would depend on the element index.
  static const float kCanonicalNan = numerics::float_from_bits(0x7fffffffu);
  std::vector<float> acc;
  for (const RowAddend& a : addends) {
    const std::vector<float> v = load_row(a.type, a.row, cols);
    if (acc.empty()) {
      acc = v;
      continue;
    }
    for (uint64_t i = 0; i < cols; ++i) acc[i] = acc[i] + v[i];  // FP32, nearest even
  }
  for (float& x : acc)
    if (std::isnan(x)) x = kCanonicalNan;
  return store_row(dtype, acc.data(), cols, out);
}

}  // namespace hwlab::isa

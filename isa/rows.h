// Rows of elements in the data types REDUCE, CAST and the macros move: their byte sizes, their
// values as FP32, and storing FP32 values back, quantizing FP8 per 1x128 tile. All conversions go
// through isa/numerics/formats.h.
//
// FP8 with scales (e4m3s: FP32 scales, e4m3u: UE8M0 scales), per tile of 128 consecutive elements
// of a row (the last tile of a row may be shorter), as DeepSeek-V3 quantizes activations
// (arXiv 2412.19437 §3.3.2, and DeepGEMM's per-token cast):
//   amax  = max |x| over the tile, at least 1e-4 (so that an all-zero tile has a finite scale)
//   scale = fp32(amax / 448)                      e4m3s
//         = 2^ceil(log2(fp32(amax / 448)))        e4m3u (UE8M0, __nv_cvt_float_to_e8m0 rounding up)
//   code  = e4m3(fp32(x / scale)), nearest even, saturating to +-448 (__NV_SATFINITE)
// and back: x = fp32(e4m3 value * scale) (the product is exact before its one rounding).
// A row stores its codes first, then its scales (the DeepSeek-V3 dispatch payload layout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/operands.h"

namespace hwlab::isa {

inline constexpr uint64_t kTileElements = 128;

uint64_t tiles_of(uint64_t cols);
uint64_t row_bytes(Dtype dtype, uint64_t cols);
const char* dtype_name(Dtype dtype);

// The values of one row (exact for fp32 and bf16).
std::vector<float> load_row(Dtype dtype, const uint8_t* row, uint64_t cols);

// Stores `values` as one row of `dtype` into `out` (row_bytes(dtype, cols) bytes). FP8 rows reject
// non-finite values: the error names the element; "" on success. BF16 rounds to nearest even.
std::string store_row(Dtype dtype, const float* values, uint64_t cols, uint8_t* out);

// `values` as one BF16 row (store_row(Dtype::bf16, ...): nearest even).
std::vector<uint8_t> bf16_row(const std::vector<float>& values);

// REDUCE's sum of one row (isa/insns/reduce.cpp has the documented order): element i of every
// addend in the order given, in FP32 with nearest even, the first addend as it is (no 0 + x, which
// would turn -0 into +0), a NaN sum stored as the canonical NaN; stored as `dtype` into `out`
// (row_bytes(dtype, cols) bytes). "" on success, else store_row's reason.
struct RowAddend {
  Dtype type = Dtype::fp32;
  const uint8_t* row = nullptr;
};
std::string reduce_row(const std::vector<RowAddend>& addends, uint64_t cols, Dtype dtype, uint8_t* out);

// The scale of one FP8 tile from its amax (see above).
float fp8_tile_scale(float amax, bool power_of_two);

}  // namespace hwlab::isa

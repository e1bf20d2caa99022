// LogFMT-nBit, the logarithmic format of "Insights into DeepSeek-V3" (Zhao et al., ISCA'25,
// arXiv 2505.09343 §3.2), per 1x128 tile of a row:
//
//   "we take the absolute values and compute the logarithm of all the elements, and find the minimum
//    min = log(abs(x_i)) and maximum max = log(abs(x_j)). The minimum is encoded as S.00...01 and the
//    maximum is encoded as S.11...11, with an interval representing Step = (max - min)/(2^(n-1) - 2).
//    Zero values are represented by S.00...00, specially. The left values are rounded to the nearest
//    integer K multiples of Step. The decoding process is simple by combining the sign bit and
//    exp(min + Step x (K - 1)). [...] it is important to round in the original Linear space, instead
//    of the Log space [...] We also constrain the min to be larger than max - log(2^32)."
//
// What this implementation fixes where the paper leaves a choice:
//   - logarithms are base 2 (the levels |x_min| * r^(K-1) do not depend on the base; the clamp
//     max - log(2^32) becomes max - 32); log2 is taken in double precision of the FP32 input values;
//   - min and max are over the tile's non-zero elements; the tile header stores min and Step as FP32
//     (rounded to nearest even), and both encoder and decoder use those stored values:
//     level(K) = 2^(min + Step * (K - 1)) in double precision, K = 1 .. 2^(n-1) - 1;
//   - rounding in the linear domain: a non-zero |x| takes the K whose level is nearest to |x| (ties
//     to the even K); below level(1), which only the clamp can cause, the choice is between level(1)
//     and zero (K = 0); when Step is 0 (one distinct magnitude) every non-zero element takes the top
//     code S.11...11;
//   - S is the sign bit of x (so -0 stays -0); a tile without non-zero elements stores min = Step = 0;
//   - NaN and infinity cannot be encoded (an error naming the element);
//   - decoding rounds level(K) once, from double, to the destination type.
// Encoded tile: FP32 min, FP32 Step (little-endian), then the n-bit codes of the tile's elements as
// one little-endian bit stream (element j in bits [j*n, (j+1)*n), S the top bit), padded with zero
// bits to a whole byte. A row is its tiles one after another.
#pragma once

#include <cstdint>
#include <string>

namespace hwlab::isa {

inline constexpr int kLogfmtMinBits = 3;
inline constexpr int kLogfmtMaxBits = 16;
inline constexpr int kLogfmtClampLog2 = 32;  // min >= max - log2(2^32)

uint64_t logfmt_tile_bytes(uint64_t elements, int bits);
uint64_t logfmt_row_bytes(uint64_t cols, int bits);

// Encodes one row; "" on success, else the reason (a non-finite element).
std::string logfmt_encode_row(const float* values, uint64_t cols, int bits, uint8_t* out);
// Decodes one row into exact level values (double, signed); "" on success, else the reason (a tile
// header that is not finite, or a negative Step).
std::string logfmt_decode_row(const uint8_t* in, uint64_t cols, int bits, double* out);

}  // namespace hwlab::isa

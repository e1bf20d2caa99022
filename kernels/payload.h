// Rank- and token-encoded payloads: every byte a dispatch moves is a function of (source rank,
// token, channel), so a receiver can recompute what each received row must hold and count wrong
// rows without any other copy of the data. Usable on the host (tests, CPU references) and on the
// device (fill and verify kernels).
//
// Dispatch rows (FP8 E4M3 with one FP32 scale per 128 channels): `hidden` FP8 bytes, then
// ceil(hidden / 128) FP32 scales. The FP8 values are finite, with magnitudes in [2^-3, 2^3), so the
// expert GEMMs see ordinary numbers; scales are powers of two.
// Combine inputs (BF16 expert outputs) use expert_output_value(): multiples of 1/8 in [-1, 7/8],
// exact in BF16.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define HWLAB_HD __host__ __device__ __forceinline__
#else
#define HWLAB_HD inline
#endif

namespace hwlab::kernels {

inline constexpr int kScaleBlockChannels = 128;

HWLAB_HD uint32_t payload_mix(uint32_t x) {
  // A 32-bit finaliser (murmur3 fmix32): neighbouring inputs give unrelated outputs.
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

HWLAB_HD uint32_t token_key(int src_rank, int token) {
  return payload_mix(static_cast<uint32_t>(src_rank) * 0x9e3779b1u ^ static_cast<uint32_t>(token));
}

// Four FP8 E4M3 bytes (channels 4*word .. 4*word+3) of token (src_rank, token), little-endian.
// Each byte: sign, exponent field 4..10 (2^-3 .. 2^3), any mantissa: never NaN, never zero.
HWLAB_HD uint32_t payload_fp8_word(uint32_t key, int word) {
  const uint32_t h = payload_mix(key + 0x632be5abu * static_cast<uint32_t>(word + 1));
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t b = (h >> (8 * i)) & 0xffu;
    const uint32_t exponent = 4u + (b & 7u) % 7u;
    out |= (((b & 0x80u)) | (exponent << 3) | ((b >> 3) & 7u)) << (8 * i);
  }
  return out;
}

// The scale of 128-channel block `block`: 2^-(0..7).
HWLAB_HD float payload_scale(uint32_t key, int block) {
  const uint32_t e = payload_mix(key ^ (0x51ed27u + static_cast<uint32_t>(block))) & 7u;
  return 1.0f / static_cast<float>(1u << e);
}

// The 32-bit word `word` of a whole dispatch row of `hidden` channels (hidden % 4 == 0): FP8 words
// first, then the FP32 scales' bit patterns.
HWLAB_HD uint32_t payload_row_word(uint32_t key, int word, int hidden) {
  const int fp8_words = hidden / 4;
  if (word < fp8_words) return payload_fp8_word(key, word);
  const float s = payload_scale(key, word - fp8_words);
#if defined(__CUDA_ARCH__)
  return __float_as_uint(s);
#else
  uint32_t bits;
  static_assert(sizeof(bits) == sizeof(s), "float is 32 bits");
  __builtin_memcpy(&bits, &s, sizeof(bits));
  return bits;
#endif
}

// Value of channel c of the expert output of (token of src_rank, local slot) on rank dst_rank:
// multiples of 1/8 in [-1, 7/8], exact in BF16.
HWLAB_HD float expert_output_value(int src_rank, int token, int dst_rank, int slot, int channel) {
  const uint32_t h = payload_mix(token_key(src_rank, token) ^ payload_mix(static_cast<uint32_t>(dst_rank) * 131u +
                                                                          static_cast<uint32_t>(slot)) ^
                                 static_cast<uint32_t>(channel) * 0x27d4eb2fu);
  return static_cast<float>(static_cast<int>(h & 15u) - 8) * 0.125f;
}

}  // namespace hwlab::kernels

namespace hwlab::kernels {

// Element `index` of the block rank `src` sends to rank `dst` in the alltoall(v) check: integers
// below 2^13, exact in float, different for neighbouring sources, destinations and positions.
HWLAB_HD float collective_value(int src, int dst, int64_t index) {
  return static_cast<float>((static_cast<int64_t>(src) * 131 + static_cast<int64_t>(dst) * 31 + index) % 8191);
}

}  // namespace hwlab::kernels

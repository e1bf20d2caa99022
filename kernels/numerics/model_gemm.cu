// CUDA implementation of the truncating block-FMA models (model_gemm.h explains the arithmetic).
//
// Tiling: a CTA of 16 x 16 threads computes a 64 x 64 output tile, each thread 4 x 4 outputs. K is
// staged 32 elements at a time in shared memory, decoded once per CTA through a 256-entry table:
// values as floats ([k][row], so that a thread's 4 rows are one 16-byte load) and exponents as int16
// pairs for the DPX maximum.
#include "kernels/numerics/model_gemm.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>

#include "isa/numerics/probe_inputs.h"
#include "kernels/numerics/probe_util.h"

namespace hwlab::kernels::numerics {
namespace {

namespace probe = hwlab::numerics::probe;

constexpr int kTile = 64;
constexpr int kStage = 32;
constexpr int16_t kZeroExponent = -16000;  // zero operands never win the maximum

struct CodeTable {
  float value[256];
  int16_t exponent[256];  // what the exponent adders see; kZeroExponent for zeros
};

CodeTable make_table(bool e5m2) {
  CodeTable t{};
  const int min_exponent = e5m2 ? -14 : -6;
  for (int c = 0; c < 256; ++c) {
    const double v = probe::fp8_special(e5m2, static_cast<uint8_t>(c)) ? 0.0 : probe::fp8_value(e5m2, static_cast<uint8_t>(c));
    t.value[c] = static_cast<float>(v);
    if (v == 0.0) {
      t.exponent[c] = kZeroExponent;
    } else {
      int e = 0;
      std::frexp(v, &e);  // |v| = f * 2^e, f in [0.5, 1)
      t.exponent[c] = static_cast<int16_t>(e - 1 < min_exponent ? min_exponent : e - 1);
    }
  }
  return t;
}

__device__ __forceinline__ float truncate_fraction(float x, uint32_t mask) {
  return __uint_as_float(__float_as_uint(x) & mask);
}

// Exponent C brings to the alignment: its exponent field's, not below -126.
__device__ __forceinline__ int c_exponent(float c) {
  const int e = static_cast<int>((__float_as_uint(c) >> 23) & 0xFF) - 127;
  return e < -126 ? -126 : e;
}

template <int kBlock, bool kFloor, bool kFma>
__global__ void __launch_bounds__(256) model_gemm_kernel(const uint8_t* __restrict__ A, const uint8_t* __restrict__ B,
                                                         float* __restrict__ out, int N, int K, int promotion,
                                                         float scale, int F, uint32_t result_mask, CodeTable table) {
  __shared__ float lut_v[256];
  __shared__ int16_t lut_e[256];
  __shared__ __align__(16) float as_v[kStage][kTile];
  __shared__ __align__(16) uint32_t as_e[kStage][kTile];       // exponent duplicated in both halves
  __shared__ __align__(16) float bs_v[kStage][kTile];
  __shared__ __align__(16) uint32_t bs_e[kStage][kTile / 2];   // columns 2c and 2c+1
  const int tid = static_cast<int>(threadIdx.y * 16 + threadIdx.x);
  lut_v[tid] = table.value[tid];
  lut_e[tid] = table.exponent[tid];
  const int m0 = static_cast<int>(blockIdx.y) * kTile, n0 = static_cast<int>(blockIdx.x) * kTile;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);

  float acc[4][4], chain[4][4];
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) acc[r][c] = chain[r][c] = 0.0f;

  const int interval = promotion > 0 ? promotion : K;
  const int load_row = tid / 4, load_k = (tid % 4) * 8;
  for (int k0 = 0; k0 < K; k0 += kStage) {
    __syncthreads();  // the table is ready; the previous stage is consumed
    {
      uint2 va = *reinterpret_cast<const uint2*>(A + static_cast<size_t>(m0 + load_row) * K + k0 + load_k);
      uint2 vb = *reinterpret_cast<const uint2*>(B + static_cast<size_t>(n0 + load_row) * K + k0 + load_k);
      uint8_t ca[8], cb[8];
      std::memcpy(ca, &va, 8);
      std::memcpy(cb, &vb, 8);
#pragma unroll
      for (int q = 0; q < 8; ++q) {
        as_v[load_k + q][load_row] = lut_v[ca[q]];
        const uint32_t ea = static_cast<uint16_t>(lut_e[ca[q]]);
        as_e[load_k + q][load_row] = ea | (ea << 16);
        bs_v[load_k + q][load_row] = lut_v[cb[q]];
        const uint16_t eb = static_cast<uint16_t>(lut_e[cb[q]]);
        reinterpret_cast<uint16_t*>(&bs_e[load_k + q][0])[load_row] = eb;
      }
    }
    __syncthreads();
#pragma unroll
    for (int kb = 0; kb < kStage; kb += kBlock) {
      if constexpr (kFma) {
#pragma unroll 8
        for (int kk = kb; kk < kb + kBlock; ++kk) {
          const float4 a4 = *reinterpret_cast<const float4*>(&as_v[kk][ty * 4]);
          const float4 b4 = *reinterpret_cast<const float4*>(&bs_v[kk][tx * 4]);
          const float av[4] = {a4.x, a4.y, a4.z, a4.w}, bv[4] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
          for (int r = 0; r < 4; ++r)
#pragma unroll
            for (int c = 0; c < 4; ++c) chain[r][c] = fmaf(av[r], bv[c], chain[r][c]);
        }
      } else {
        // Pass 1: the block's largest exponent sum, two outputs per DPX instruction.
        uint32_t e2[4][2];
#pragma unroll
        for (int r = 0; r < 4; ++r) e2[r][0] = e2[r][1] = 0x80008000u;
#pragma unroll 8
        for (int kk = kb; kk < kb + kBlock; ++kk) {
          const uint4 ea = *reinterpret_cast<const uint4*>(&as_e[kk][ty * 4]);
          const uint2 eb = *reinterpret_cast<const uint2*>(&bs_e[kk][tx * 2]);
          const uint32_t eav[4] = {ea.x, ea.y, ea.z, ea.w};
#pragma unroll
          for (int r = 0; r < 4; ++r) {
            e2[r][0] = __viaddmax_s16x2(eav[r], eb.x, e2[r][0]);
            e2[r][1] = __viaddmax_s16x2(eav[r], eb.y, e2[r][1]);
          }
        }
        // The bias per output (C joins the alignment), and C's aligned part.
        float bias[4][4], sum[4][4];
#pragma unroll
        for (int r = 0; r < 4; ++r) {
#pragma unroll
          for (int c = 0; c < 4; ++c) {
            const uint32_t pair = e2[r][c / 2];
            const int ep = static_cast<int16_t>(c % 2 ? pair >> 16 : pair & 0xFFFF);
            const int e = max(ep, c_exponent(chain[r][c]));
            const uint32_t bits = static_cast<uint32_t>(150 + e - F) << 23;
            bias[r][c] = __uint_as_float(kFloor ? (bits | 0x400000u) : bits);
            const float cc = chain[r][c];
            if constexpr (kFloor) {
              sum[r][c] = __fadd_rd(cc, bias[r][c]) - bias[r][c];
            } else {
              const float sb = copysignf(bias[r][c], cc);
              sum[r][c] = __fadd_rz(cc, sb) - sb;
            }
          }
        }
        // Pass 2: every product truncated to the grid u, summed exactly.
#pragma unroll 8
        for (int kk = kb; kk < kb + kBlock; ++kk) {
          const float4 a4 = *reinterpret_cast<const float4*>(&as_v[kk][ty * 4]);
          const float4 b4 = *reinterpret_cast<const float4*>(&bs_v[kk][tx * 4]);
          const float av[4] = {a4.x, a4.y, a4.z, a4.w}, bv[4] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
          for (int r = 0; r < 4; ++r) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
              const float t = av[r] * bv[c];
              if constexpr (kFloor) {
                sum[r][c] += __fadd_rd(t, bias[r][c]) - bias[r][c];
              } else {
                const float sb = copysignf(bias[r][c], t);
                sum[r][c] += __fadd_rz(t, sb) - sb;
              }
            }
          }
        }
#pragma unroll
        for (int r = 0; r < 4; ++r)
#pragma unroll
          for (int c = 0; c < 4; ++c) chain[r][c] = truncate_fraction(sum[r][c], result_mask);
      }
      const int block_end = k0 + kb + kBlock;
      if (block_end % interval == 0 || block_end == K) {
#pragma unroll
        for (int r = 0; r < 4; ++r)
#pragma unroll
          for (int c = 0; c < 4; ++c) {
            acc[r][c] = fmaf(scale, chain[r][c], acc[r][c]);
            chain[r][c] = 0.0f;
          }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    float4 v = make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
    *reinterpret_cast<float4*>(out + static_cast<size_t>(m0 + ty * 4 + r) * N + n0 + tx * 4) = v;
  }
}

template <int kBlock, bool kFloor, bool kFma>
void launch(const CodeTable& t, const uint8_t* a, const uint8_t* b, float* out, int m, int n, int k, int promotion,
            float scale, int f, uint32_t mask) {
  const dim3 grid(static_cast<unsigned>(n / kTile), static_cast<unsigned>(m / kTile));
  model_gemm_kernel<kBlock, kFloor, kFma><<<grid, dim3(16, 16)>>>(a, b, out, n, k, promotion, scale, f, mask, t);
}

}  // namespace

bool model_gemm_config(const std::string& preset, ModelGemmConfig& out) {
  ModelGemmConfig c;
  c.preset = preset;
  std::string base = preset;
  if (base.size() > 12 && base.substr(base.size() - 12) == ",align=floor") {
    c.floor = true;
    base = base.substr(0, base.size() - 12);
  }
  if (base == "h100-fp8" || base == "h100-fp8-mma-sync") {
  } else if (base == "ada-fp8") {
    c.products_per_block = 16;
  } else if (base.size() == 6 && base.substr(0, 4) == "acc-" && base[4] == '1' && base[5] >= '0' && base[5] <= '6') {
    c.alignment_fraction_bits = c.result_fraction_bits = 10 + (base[5] - '0');
  } else if ((base == "fp32-fma" || base == "fp32-acc") && !c.floor) {
    c.fma = true;
    c.products_per_block = 1;
    c.result_fraction_bits = 23;
  } else {
    return false;
  }
  out = c;
  return true;
}

void model_gemm(const ModelGemmConfig& cfg, bool e5m2, const uint8_t* a, const uint8_t* b, float* out, int m, int n,
                int k, int promotion, float scale) {
  static const CodeTable tables[2] = {make_table(false), make_table(true)};
  const CodeTable& t = tables[e5m2 ? 1 : 0];
  const uint32_t mask = ~((1u << (23 - cfg.result_fraction_bits)) - 1u);
  const int f = cfg.alignment_fraction_bits;
  if (cfg.fma) {
    launch<32, false, true>(t, a, b, out, m, n, k, promotion, scale, f, mask);
  } else if (cfg.products_per_block == 16) {
    if (cfg.floor) launch<16, true, false>(t, a, b, out, m, n, k, promotion, scale, f, mask);
    else launch<16, false, false>(t, a, b, out, m, n, k, promotion, scale, f, mask);
  } else {
    if (cfg.floor) launch<32, true, false>(t, a, b, out, m, n, k, promotion, scale, f, mask);
    else launch<32, false, false>(t, a, b, out, m, n, k, promotion, scale, f, mask);
  }
}

}  // namespace hwlab::kernels::numerics

#include "isa/numerics/gemm.h"

#include <tbb/blocked_range2d.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>

#include "common/error.h"
#include "isa/numerics/block_fma_detail.h"

namespace hwlab::numerics {
namespace {

using detail::BlockProducts;
using detail::BlockValue;
using detail::Special;
using detail::Term;

// Exponent given to zero operands in the fast kernel: far below any real one (FP8 exponents lie in
// [-16, 15]), so that a zero product never wins the maximum and an all-zero block is recognisable.
// Sums of two stay within int16, whose maximum vectorises natively.
constexpr int16_t kZeroExponent = -16000;
constexpr int kAllZeroBelow = -8000;
constexpr int kTile = 32;           // outputs per tile side
constexpr int kChunkElements = 256;  // K elements decoded at a time in the fast kernel

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// One FP8 code, decoded once for all.
struct CodeInfo {
  float value = 0.0f;          // exact value (NaN / inf for special codes)
  int16_t exponent = 0;        // what the exponent adders see (subnormals: the minimum exponent)
  int64_t significand = 0;     // signed; value = significand * 2^lsb_exponent
  int lsb_exponent = 0;
  bool zero = false;
  bool negative = false;
  Special special = Special::none;
};

struct CodeTable {
  CodeInfo code[256];
};

// `as`: the format the unit reads the operands in (exponents clamp at its minimum).
CodeTable make_table(Format format, Format as) {
  const FormatInfo& fi = format_info(format);
  const int min_exponent = format_info(as).min_exponent;
  CodeTable t;
  for (int c = 0; c < 256; ++c) {
    CodeInfo& info = t.code[c];
    const double v = decode(format, static_cast<uint32_t>(c));
    info.value = static_cast<float>(v);
    info.negative = std::signbit(v) && !std::isnan(v);
    if (std::isnan(v)) {
      info.special = Special::nan;
    } else if (std::isinf(v)) {
      info.special = v > 0 ? Special::pos_inf : Special::neg_inf;
    } else if (v == 0.0) {
      info.zero = true;
      info.exponent = kZeroExponent;
    } else {
      const uint32_t exp_field = (static_cast<uint32_t>(c) >> fi.fraction_bits) &
                                 ((1u << fi.exponent_bits) - 1u);
      const uint32_t frac = static_cast<uint32_t>(c) & ((1u << fi.fraction_bits) - 1u);
      const int64_t sig = exp_field == 0 ? frac : (frac | (1u << fi.fraction_bits));
      const int exponent = exp_field == 0 ? fi.min_exponent : static_cast<int>(exp_field) - fi.bias;
      info.significand = info.negative ? -sig : sig;
      info.lsb_exponent = exponent - fi.fraction_bits;
      // The exponent adders see the true exponent, clamped at the reading format's minimum.
      const int true_exponent = (63 - __builtin_clzll(static_cast<uint64_t>(sig))) + info.lsb_exponent;
      info.exponent = static_cast<int16_t>(std::max(true_exponent, min_exponent));
    }
  }
  return t;
}

// A finite scale in exact form; exponent as its FP32 exponent field says.
struct ScaleFactor {
  bool zero = false;
  int64_t significand = 1;  // signed, odd
  int lsb_exponent = 0;
  int exponent = 0;
};

ScaleFactor decompose_scale(float s) {
  ScaleFactor f;
  if (s == 0.0f) {
    f.zero = true;
    return f;
  }
  const uint32_t u = float_bits(s);
  const uint32_t exp_field = (u >> 23) & 0xFFu;
  const uint32_t frac = u & 0x7FFFFFu;
  uint64_t sig = exp_field == 0 ? frac : (frac | 0x800000u);
  int lsb = exp_field == 0 ? -149 : static_cast<int>(exp_field) - 150;
  const int tz = __builtin_ctzll(sig);
  sig >>= tz;
  lsb += tz;
  f.significand = (u >> 31) ? -static_cast<int64_t>(sig) : static_cast<int64_t>(sig);
  f.lsb_exponent = lsb;
  f.exponent = exp_field == 0 ? -126 : static_cast<int>(exp_field) - 127;
  return f;
}

// Where the scales of A row i and B row j at position k live.
struct ScaleIndex {
  ScaleGranularity granularity;
  int k_groups;  // scale groups along K
  int a(int i, int k) const {
    switch (granularity) {
      case ScaleGranularity::per_tensor: return 0;
      case ScaleGranularity::deepseek: return i * k_groups + k / kDeepSeekTile;
      case ScaleGranularity::mx: return i * k_groups + k / kMxBlock;
    }
    return 0;
  }
  int b(int j, int k) const {
    switch (granularity) {
      case ScaleGranularity::per_tensor: return 0;
      case ScaleGranularity::deepseek: return (j / kDeepSeekTile) * k_groups + k / kDeepSeekTile;
      case ScaleGranularity::mx: return j * k_groups + k / kMxBlock;
    }
    return 0;
  }
};

// Everything a kernel needs, prepared once per gemm() call.
struct Setup {
  const BlockFmaModel& model;
  const GemmProblem& problem;
  const GemmOptions& options;
  CodeTable table;
  float value[256];      // table.code[c].value, packed for the fast kernel
  uint8_t special[256];  // table.code[c].special != none
  ScaleIndex index;
  std::vector<float> scale_a;  // decoded values (UE8M0 codes decoded for mx)
  std::vector<float> scale_b;
  std::vector<ScaleFactor> factor_a;
  std::vector<ScaleFactor> factor_b;
  int interval;  // promotion interval actually used (K when never promoting)
};

// The products of A row i and B row j over [k0, k0 + n) as the model sees them.
BlockProducts code_products(const Setup& s, int i, int j, int k0, int n, std::vector<Term>& terms) {
  terms.clear();
  BlockProducts p;
  const int k_total = s.problem.k;
  const uint8_t* a = s.problem.a.data() + static_cast<size_t>(i) * k_total;
  const uint8_t* b = s.problem.b.data() + static_cast<size_t>(j) * k_total;
  const bool scaled = s.options.group_scaled_mma;
  for (int k = k0; k < k0 + n; ++k) {
    const CodeInfo& x = s.table.code[a[k]];
    const CodeInfo& y = s.table.code[b[k]];
    const Special sp = detail::product_special(x.special, x.zero, x.negative, y.special, y.zero,
                                               y.negative);
    if (sp != Special::none) {
      p.special = detail::combine(p.special, sp);
      continue;
    }
    bool negative = x.negative != y.negative;
    const ScaleFactor* fa = scaled ? &s.factor_a[static_cast<size_t>(s.index.a(i, k))] : nullptr;
    const ScaleFactor* fb = scaled ? &s.factor_b[static_cast<size_t>(s.index.b(j, k))] : nullptr;
    if (scaled) {
      negative = (negative != (fa->significand < 0)) != (fb->significand < 0);
    }
    if (x.zero || y.zero || (scaled && (fa->zero || fb->zero))) {
      p.zeros_all_negative = p.zeros_all_negative && negative;
      continue;
    }
    Term t;
    t.significand = x.significand * y.significand;
    t.lsb_exponent = x.lsb_exponent + y.lsb_exponent;
    t.alignment_exponent = x.exponent + y.exponent;
    if (scaled) {
      t.significand *= fa->significand * fb->significand;  // at most 4 + 4 + 24 + 24 bits
      t.lsb_exponent += fa->lsb_exponent + fb->lsb_exponent;
      t.alignment_exponent += fa->exponent + fb->exponent;
    }
    if (s.model.product_exponent == BlockFmaModel::ProductExponent::normalized) {
      const uint64_t mag = static_cast<uint64_t>(std::llabs(t.significand));
      t.alignment_exponent = (63 - __builtin_clzll(mag)) + t.lsb_exponent;
    }
    terms.push_back(t);
  }
  p.terms = terms.data();
  p.count = static_cast<int>(terms.size());
  return p;
}

// acc after promoting the MMA partial p of the interval that starts at k0.
float promote(const Setup& s, int i, int j, int k0, float acc, float p) {
  if (s.options.group_scaled_mma) return acc + p;
  const float scale = s.scale_a[static_cast<size_t>(s.index.a(i, k0))] *
                      s.scale_b[static_cast<size_t>(s.index.b(j, k0))];
  return std::fma(scale, p, acc);
}

// ---------------------------------------------------------------------------------------------
// General kernel: any model, any scaling; one output at a time through the exact block model.

void reference_tile(const Setup& s, int i0, int i1, int j0, int j1, float* out) {
  const BlockFmaModel& model = s.model;
  const int k_total = s.problem.k;
  std::vector<Term> terms;
  BlockValue chain;
  for (int i = i0; i < i1; ++i) {
    for (int j = j0; j < j1; ++j) {
      float acc = 0.0f;
      for (int k0 = 0; k0 < k_total; k0 += s.interval) {
        const int k_end = std::min(k_total, k0 + s.interval);
        detail::load(chain, 0.0f);
        for (int kb = k0; kb < k_end; kb += model.products_per_block) {
          const int n = std::min(model.products_per_block, k_end - kb);
          detail::run_block(model, code_products(s, i, j, kb, n, terms), chain);
          if (model.normalize_each_block && kb + n < k_end) {
            detail::load(chain, detail::finish(model, chain));
          }
        }
        acc = promote(s, i, j, k0, acc, detail::finish(model, chain));
      }
      out[static_cast<size_t>(i) * s.problem.n + j] = acc;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fast kernel: truncating models with C aligned, F small enough for 32-bit terms. The products are
// formed in float (exact: at most 8 significant bits) and scaled by 2^(F - E) (exact: a power of
// two, kept in the normal range), so that converting to int32 truncates toward zero exactly as the
// aligner does; the loop vectorises. Blocks it cannot do exactly (zeros only, special values, an
// exact-zero sum, out-of-range scaling) go through the general block model.

struct FastParams {
  int f;
  int result_bits;
  BlockFmaModel::AlignRounding align;
  BlockFmaModel::ResultRounding rounding;
};

template <bool kNegInf>
bool fast_block(const float* av, const int16_t* ae, const float* bv, const int16_t* be, int n,
                int e_scale, float c, const FastParams& fp, float& out) {
  int16_t emax = INT16_MIN;
  for (int i = 0; i < n; ++i) {
    const int16_t e = static_cast<int16_t>(ae[i] + be[i]);
    emax = e > emax ? e : emax;
  }
  if (emax < kAllZeroBelow) return false;
  int e = emax + e_scale;
  int64_t c_sig = 0;
  int c_lsb = 0;
  if (c != 0.0f) {
    const uint32_t u = float_bits(c);
    const uint32_t exp_field = (u >> 23) & 0xFFu;
    if (exp_field == 0xFFu) return false;
    const uint32_t frac = u & 0x7FFFFFu;
    const int64_t sig = exp_field == 0 ? frac : (frac | 0x800000u);
    c_sig = (u >> 31) ? -sig : sig;
    c_lsb = exp_field == 0 ? -149 : static_cast<int>(exp_field) - 150;
    const int c_exp = exp_field == 0 ? detail::kFp32MinExponent : static_cast<int>(exp_field) - 127;
    e = std::max(e, c_exp);
  }
  const int q = e - fp.f;            // the aligned terms are integers in units of 2^q
  const int factor_exp = e_scale - q;
  if (factor_exp < -100 || factor_exp > 100) return false;
  const float factor = float_from_bits(static_cast<uint32_t>(factor_exp + 127) << 23);
  int32_t s = 0;
  for (int i = 0; i < n; ++i) {
    const float x = av[i] * bv[i] * factor;
    const int32_t t = static_cast<int32_t>(x);  // truncation toward zero, exact here
    if constexpr (kNegInf) {
      s += t - static_cast<int32_t>(static_cast<float>(t) > x);  // floor: two's complement
    } else {
      s += t;
    }
  }
  int64_t total = s;
  if (c_sig != 0) total += detail::quantize_int(c_sig, c_lsb, q, fp.align);
  if (total == 0) return false;  // the sign of an exact zero needs the general model
  out = detail::round_int(total, q, fp.result_bits, fp.rounding);
  return true;
}

int ceil_log2(int x) {
  int b = 0;
  while ((1 << b) < x) ++b;
  return b;
}

bool fast_kernel_applies(const BlockFmaModel& model, const GemmProblem& problem,
                         const GemmOptions& options) {
  if (options.reference_kernel || model.exact || !model.normalize_each_block) return false;
  if (model.c_placement != BlockFmaModel::CPlacement::aligned_with_products) return false;
  if (model.product_exponent != BlockFmaModel::ProductExponent::operand_exponent_sum) return false;
  if (model.align_rounding == BlockFmaModel::AlignRounding::nearest_even) return false;
  // Aligned terms are below 2^(F + 2); a block's sum must fit in an int32.
  if (model.alignment_fraction_bits + 2 + ceil_log2(model.products_per_block) > 30) return false;
  if (options.group_scaled_mma) {
    // Only power-of-two scales constant over a block: MX with blocks inside its 32-element groups.
    if (problem.scales.granularity != ScaleGranularity::mx) return false;
    if (kMxBlock % model.products_per_block != 0) return false;
  }
  return true;
}

template <bool kNegInf>
void fast_tile(const Setup& s, int i0, int i1, int j0, int j1, float* out) {
  const BlockFmaModel& model = s.model;
  const int k_total = s.problem.k;
  const int ppb = model.products_per_block;
  const int chunk = ppb * std::max(1, kChunkElements / ppb);
  const int blocks_per_chunk = chunk / ppb;
  const int rows = i1 - i0;
  const int cols = j1 - j0;
  const FastParams fp{model.alignment_fraction_bits, model.result_fraction_bits,
                      model.align_rounding, model.result_rounding};
  const bool mx_scaled = s.options.group_scaled_mma;

  std::vector<float> av(static_cast<size_t>(rows) * chunk), bv(static_cast<size_t>(cols) * chunk);
  std::vector<int16_t> ae(av.size()), be(bv.size());
  std::vector<uint8_t> a_special(static_cast<size_t>(rows) * blocks_per_chunk);
  std::vector<uint8_t> b_special(static_cast<size_t>(cols) * blocks_per_chunk);
  std::vector<float> c(static_cast<size_t>(rows) * cols, 0.0f);
  std::vector<float> acc(c.size(), 0.0f);
  std::vector<Term> terms;
  BlockValue fallback;

  auto decode_rows = [&](const std::vector<uint8_t>& codes, int r0, int count, int k0, int len,
                         float* v, int16_t* e, uint8_t* special) {
    for (int r = 0; r < count; ++r) {
      const uint8_t* row = codes.data() + static_cast<size_t>(r0 + r) * k_total + k0;
      float* vr = v + static_cast<size_t>(r) * chunk;
      int16_t* er = e + static_cast<size_t>(r) * chunk;
      uint8_t* sr = special + static_cast<size_t>(r) * blocks_per_chunk;
      for (int k = 0; k < len; ++k) {
        vr[k] = s.value[row[k]];
        er[k] = s.table.code[row[k]].exponent;
      }
      for (int blk = 0, k = 0; k < len; ++blk, k += ppb) {
        uint8_t any = 0;
        for (int x = k; x < std::min(len, k + ppb); ++x) any |= s.special[row[x]];
        sr[blk] = any;
      }
    }
  };

  for (int k0 = 0; k0 < k_total; k0 += chunk) {
    const int len = std::min(chunk, k_total - k0);
    decode_rows(s.problem.a, i0, rows, k0, len, av.data(), ae.data(), a_special.data());
    decode_rows(s.problem.b, j0, cols, k0, len, bv.data(), be.data(), b_special.data());
    for (int r = 0; r < rows; ++r) {
      const int i = i0 + r;
      const float* ar = av.data() + static_cast<size_t>(r) * chunk;
      const int16_t* aer = ae.data() + static_cast<size_t>(r) * chunk;
      for (int col = 0; col < cols; ++col) {
        const int j = j0 + col;
        int next_promotion = (k0 / s.interval + 1) * s.interval;  // end of the current interval
        const float* br = bv.data() + static_cast<size_t>(col) * chunk;
        const int16_t* ber = be.data() + static_cast<size_t>(col) * chunk;
        float& cc = c[static_cast<size_t>(r) * cols + col];
        float& aa = acc[static_cast<size_t>(r) * cols + col];
        for (int off = 0; off < len; off += ppb) {
          const int n = std::min(ppb, len - off);
          const int kb = k0 + off;
          int e_scale = 0;
          if (mx_scaled) {
            e_scale = static_cast<int>(s.problem.scales.a_ue8m0[static_cast<size_t>(s.index.a(i, kb))]) +
                      static_cast<int>(s.problem.scales.b_ue8m0[static_cast<size_t>(s.index.b(j, kb))]) - 254;
          }
          const bool special = a_special[static_cast<size_t>(r) * blocks_per_chunk + off / ppb] |
                               b_special[static_cast<size_t>(col) * blocks_per_chunk + off / ppb];
          float d;
          if (special || !fast_block<kNegInf>(ar + off, aer + off, br + off, ber + off, n, e_scale,
                                               cc, fp, d)) {
            detail::load(fallback, cc);
            detail::run_block(model, code_products(s, i, j, kb, n, terms), fallback);
            d = detail::finish(model, fallback);
          }
          cc = d;
          const int block_end = kb + n;
          if (block_end == next_promotion || block_end == k_total) {
            aa = promote(s, i, j, next_promotion - s.interval, aa, cc);
            cc = 0.0f;
            next_promotion += s.interval;
          }
        }
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    for (int col = 0; col < cols; ++col) {
      out[static_cast<size_t>(i0 + r) * s.problem.n + (j0 + col)] =
          acc[static_cast<size_t>(r) * cols + col];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels for the two exact models, reading the codes directly.

float special_value(Special sp) {
  switch (sp) {
    case Special::nan: return float_from_bits(0x7FFFFFFFu);
    case Special::pos_inf: return float_from_bits(0x7F800000u);
    case Special::neg_inf: return float_from_bits(0xFF800000u);
    case Special::none: break;
  }
  return 0.0f;
}

// `exact` (no rounding between blocks): an interval's products, from C = +0, summed exactly in an
// int128 fixed point of 2^-40 (FP8 products are multiples of 2^-32 below 2^32), rounded once.
void exact_sum_tile(const Setup& s, int i0, int i1, int j0, int j1, float* out) {
  constexpr int kLsb = -40;
  const int k_total = s.problem.k;
  for (int i = i0; i < i1; ++i) {
    const uint8_t* a = s.problem.a.data() + static_cast<size_t>(i) * k_total;
    for (int j = j0; j < j1; ++j) {
      const uint8_t* b = s.problem.b.data() + static_cast<size_t>(j) * k_total;
      float acc = 0.0f;
      for (int k0 = 0; k0 < k_total; k0 += s.interval) {
        const int k_end = std::min(k_total, k0 + s.interval);
        detail::int128 sum = 0;
        Special sp = Special::none;
        for (int k = k0; k < k_end; ++k) {
          const CodeInfo& x = s.table.code[a[k]];
          const CodeInfo& y = s.table.code[b[k]];
          if (x.special != Special::none || y.special != Special::none) {
            sp = detail::combine(sp, detail::product_special(x.special, x.zero, x.negative,
                                                             y.special, y.zero, y.negative));
            continue;
          }
          const int shift = x.lsb_exponent + y.lsb_exponent - kLsb;  // >= 8 for FP8 operands
          sum += static_cast<detail::int128>(x.significand * y.significand) *
                 (detail::int128{1} << shift);
        }
        float p;
        if (sp != Special::none) {
          p = special_value(sp);
        } else if (sum == 0) {
          p = 0.0f;  // C = +0 takes part: an exact zero is +0
        } else if (sum < (detail::int128{1} << 62) && -sum < (detail::int128{1} << 62)) {
          p = detail::round_int(static_cast<int64_t>(sum), kLsb, s.model.result_fraction_bits,
                                s.model.result_rounding);
        } else {
          detail::Exact e;
          e.add(sum, kLsb);
          p = e.round(s.model.result_fraction_bits, s.model.result_rounding);
        }
        acc = promote(s, i, j, k0, acc, p);
      }
      out[static_cast<size_t>(i) * s.problem.n + j] = acc;
    }
  }
}

// fp32-fma: one product per block, exact product plus C rounded once to nearest even: fmaf. FP8
// products are exact in FP32, so each step is std::fma of the decoded operands.
void fma_chain_tile(const Setup& s, int i0, int i1, int j0, int j1, float* out) {
  const int k_total = s.problem.k;
  std::vector<Term> terms;
  BlockValue fallback;
  for (int i = i0; i < i1; ++i) {
    const uint8_t* a = s.problem.a.data() + static_cast<size_t>(i) * k_total;
    for (int j = j0; j < j1; ++j) {
      const uint8_t* b = s.problem.b.data() + static_cast<size_t>(j) * k_total;
      float acc = 0.0f;
      for (int k0 = 0; k0 < k_total; k0 += s.interval) {
        const int k_end = std::min(k_total, k0 + s.interval);
        float c = 0.0f;
        for (int k = k0; k < k_end; ++k) {
          if (s.special[a[k]] | s.special[b[k]]) {  // NaN and infinity as the block model says
            detail::load(fallback, c);
            detail::run_block(s.model, code_products(s, i, j, k, 1, terms), fallback);
            c = detail::finish(s.model, fallback);
          } else {
            c = std::fma(s.value[a[k]], s.value[b[k]], c);
          }
        }
        acc = promote(s, i, j, k0, acc, c);
      }
      out[static_cast<size_t>(i) * s.problem.n + j] = acc;
    }
  }
}

enum class Kernel { general, truncating, truncating_twos_complement, exact_sum, fma_chain };

Kernel choose_kernel(const BlockFmaModel& model, const GemmProblem& problem,
                     const GemmOptions& options) {
  if (options.reference_kernel) return Kernel::general;
  if (model.exact) {
    if (options.group_scaled_mma) return Kernel::general;
    if (!model.normalize_each_block) return Kernel::exact_sum;
    if (model.products_per_block == 1 && model.result_fraction_bits == 23 &&
        model.result_rounding == BlockFmaModel::ResultRounding::nearest_even) {
      return Kernel::fma_chain;
    }
    return Kernel::general;
  }
  if (!fast_kernel_applies(model, problem, options)) return Kernel::general;
  return model.align_rounding == BlockFmaModel::AlignRounding::truncate_toward_neg_inf
             ? Kernel::truncating_twos_complement
             : Kernel::truncating;
}

}  // namespace

std::string check_gemm(const BlockFmaModel& model, const GemmProblem& p, const GemmOptions& o) {
  if (std::string err = check_model(model); !err.empty()) return "model '" + model.name + "': " + err;
  if (p.m < 1 || p.n < 1 || p.k < 1) return "M, N and K must be at least 1";
  if (p.format != Format::e4m3 && p.format != Format::e5m2) return "A and B must be e4m3 or e5m2";
  const size_t mk = static_cast<size_t>(p.m) * p.k;
  const size_t nk = static_cast<size_t>(p.n) * p.k;
  if (p.a.size() != mk) {
    return "A: expected M*K = " + std::to_string(mk) + " codes, found " + std::to_string(p.a.size());
  }
  if (p.b.size() != nk) {
    return "B: expected N*K = " + std::to_string(nk) + " codes, found " + std::to_string(p.b.size());
  }
  const int nc = o.promotion_interval;
  if (nc < 0) return "the promotion interval must be 0 (never) or positive";
  if (nc > 0 && nc % model.products_per_block != 0) {
    return "the promotion interval (" + std::to_string(nc) + ") must be a multiple of the model's " +
           std::to_string(model.products_per_block) + " products per block";
  }
  const GemmScales& sc = p.scales;
  size_t want_a = 1, want_b = 1;
  int group = 0;
  switch (sc.granularity) {
    case ScaleGranularity::per_tensor: break;
    case ScaleGranularity::deepseek:
      want_a = static_cast<size_t>(p.m) * ceil_div(p.k, kDeepSeekTile);
      want_b = static_cast<size_t>(ceil_div(p.n, kDeepSeekTile)) * ceil_div(p.k, kDeepSeekTile);
      group = kDeepSeekTile;
      break;
    case ScaleGranularity::mx:
      want_a = static_cast<size_t>(p.m) * ceil_div(p.k, kMxBlock);
      want_b = static_cast<size_t>(p.n) * ceil_div(p.k, kMxBlock);
      group = kMxBlock;
      break;
  }
  if (sc.granularity == ScaleGranularity::mx) {
    if (sc.a_ue8m0.size() != want_a || sc.b_ue8m0.size() != want_b) {
      return "MX scales: expected " + std::to_string(want_a) + " UE8M0 codes for A and " +
             std::to_string(want_b) + " for B, found " + std::to_string(sc.a_ue8m0.size()) +
             " and " + std::to_string(sc.b_ue8m0.size());
    }
    for (size_t x = 0; x < want_a; ++x) {
      if (sc.a_ue8m0[x] == 0xFF) return "MX scales of A: NaN code at index " + std::to_string(x);
    }
    for (size_t x = 0; x < want_b; ++x) {
      if (sc.b_ue8m0[x] == 0xFF) return "MX scales of B: NaN code at index " + std::to_string(x);
    }
  } else {
    if (sc.a.size() != want_a || sc.b.size() != want_b) {
      return "scales: expected " + std::to_string(want_a) + " for A and " + std::to_string(want_b) +
             " for B, found " + std::to_string(sc.a.size()) + " and " + std::to_string(sc.b.size());
    }
    for (float v : sc.a) {
      if (!std::isfinite(v)) return "scales of A must be finite";
    }
    for (float v : sc.b) {
      if (!std::isfinite(v)) return "scales of B must be finite";
    }
  }
  if (!o.group_scaled_mma && group > 0) {
    if (nc == 0 || group % nc != 0) {
      return "with " + std::string(sc.granularity == ScaleGranularity::mx ? "MX" : "DeepSeek") +
             " scales applied at promotion, the promotion interval must divide " +
             std::to_string(group) + " (found " + std::to_string(nc) +
             "); or apply the scales inside the MMA (group-scaled)";
    }
  }
  return {};
}

bool gemm_has_fast_kernel(const BlockFmaModel& model, const GemmProblem& problem,
                          const GemmOptions& options) {
  return choose_kernel(model, problem, options) != Kernel::general;
}

std::vector<float> gemm(const BlockFmaModel& model, const GemmProblem& problem,
                        const GemmOptions& options) {
  if (std::string err = check_gemm(model, problem, options); !err.empty()) throw UserError(err);
  Setup s{model, problem, options, make_table(problem.format, model.operand_format.value_or(problem.format)), {}, {}, {}, {}, {}, {}, {}, 0};
  for (int c = 0; c < 256; ++c) {
    s.value[c] = s.table.code[c].value;
    s.special[c] = static_cast<uint8_t>(s.table.code[c].special != Special::none);
  }
  const GemmScales& sc = problem.scales;
  s.index.granularity = sc.granularity;
  s.index.k_groups = sc.granularity == ScaleGranularity::deepseek ? ceil_div(problem.k, kDeepSeekTile)
                     : sc.granularity == ScaleGranularity::mx    ? ceil_div(problem.k, kMxBlock)
                                                                 : 1;
  if (sc.granularity == ScaleGranularity::mx) {
    for (uint8_t code : sc.a_ue8m0) s.scale_a.push_back(ue8m0_to_float(code));
    for (uint8_t code : sc.b_ue8m0) s.scale_b.push_back(ue8m0_to_float(code));
  } else {
    s.scale_a = sc.a;
    s.scale_b = sc.b;
  }
  if (sc.granularity == ScaleGranularity::mx) {
    // A UE8M0 scale is 2^(code - 127) exactly, down to 2^-127 (an FP32 subnormal, but not to the
    // MMA's exponent adders).
    auto pow2 = [](uint8_t code) {
      ScaleFactor f;
      f.lsb_exponent = f.exponent = static_cast<int>(code) - 127;
      return f;
    };
    for (uint8_t code : sc.a_ue8m0) s.factor_a.push_back(pow2(code));
    for (uint8_t code : sc.b_ue8m0) s.factor_b.push_back(pow2(code));
  } else {
    for (float v : s.scale_a) s.factor_a.push_back(decompose_scale(v));
    for (float v : s.scale_b) s.factor_b.push_back(decompose_scale(v));
  }
  s.interval = options.promotion_interval > 0 ? options.promotion_interval : problem.k;

  std::vector<float> out(static_cast<size_t>(problem.m) * problem.n);
  const Kernel kernel = choose_kernel(model, problem, options);
  auto run = [&] {
    tbb::parallel_for(
        tbb::blocked_range2d<int>(0, problem.m, kTile, 0, problem.n, kTile),
        [&](const tbb::blocked_range2d<int>& r) {
          const int i0 = r.rows().begin(), i1 = r.rows().end();
          const int j0 = r.cols().begin(), j1 = r.cols().end();
          switch (kernel) {
            case Kernel::general: reference_tile(s, i0, i1, j0, j1, out.data()); break;
            case Kernel::truncating: fast_tile<false>(s, i0, i1, j0, j1, out.data()); break;
            case Kernel::truncating_twos_complement:
              fast_tile<true>(s, i0, i1, j0, j1, out.data());
              break;
            case Kernel::exact_sum: exact_sum_tile(s, i0, i1, j0, j1, out.data()); break;
            case Kernel::fma_chain: fma_chain_tile(s, i0, i1, j0, j1, out.data()); break;
          }
        });
  };
  if (options.threads > 0) {
    tbb::task_arena arena(options.threads);
    arena.execute(run);
  } else {
    run();
  }
  return out;
}

}  // namespace hwlab::numerics

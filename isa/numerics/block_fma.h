// Bit-exact model of a tensor-core block FMA: D = sum_{i<n} a_i*b_i + C for one hardware block, and
// dot products that chain blocks (each block's D is the next block's C).
//
// What one block does (Fasi, Higham, Mikaitis, Pranesh, "Numerical behavior of NVIDIA tensor cores",
// PeerJ CS 2021; Khattak & Mikaitis, "Accurate models of NVIDIA tensor cores", arXiv 2512.07004):
//   1. every product a_i*b_i is formed exactly;
//   2. the products (and C, when it joins them) are aligned to the largest exponent E among them;
//   3. each aligned term keeps only the bits at and above 2^(E - F), F = alignment_fraction_bits;
//      the bits below are truncated (or rounded, for proposals);
//   4. the aligned terms are added exactly (a wide integer adder, no intermediate rounding);
//   5. the sum is normalised once and rounded to result_fraction_bits with FP32's exponent range.
// A model with `exact` skips 2-3: the exact sum is rounded once.
//
// Special values (documented choice, IEEE-style; to be confirmed on hardware for the corner cases):
// any NaN operand or C gives NaN; inf*0 gives NaN; infinities of both signs give NaN; otherwise an
// infinity gives an infinity of its sign. A NaN result is the canonical 0x7FFFFFFF. A finite result
// beyond FP32's range becomes an infinity of its sign, whatever the result rounding (as
// Khattak & Mikaitis model NVIDIA's overflow). An exact zero result is +0, except when every
// product and C are zeros of negative sign (then -0), as IEEE 754 addition gives. Subnormal
// operands and results are kept (no flush to zero), as both papers report for these GPUs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "isa/numerics/formats.h"

namespace hwlab::numerics {

struct BlockFmaModel {
  std::string name;

  // Products that one block adds before it normalises (Khattak & Mikaitis: the "FMA size", the
  // number of terms accumulated before a single normalisation). V100: 4, A100 FP16: 8,
  // H100 FP16: 16, Ada FP8: 16, H100/H200 FP8 and B200: 32.
  int products_per_block = 32;

  // F: an aligned term keeps the bits of weight 2^(E - F) and above, E being the alignment
  // exponent. The fraction bits of the aligned adder: 23 + (their "neab", extra alignment bits);
  // DeepSeek-V3 §3.3 and Khattak & Mikaitis both give 13 for Hopper FP8. Unused when `exact`.
  int alignment_fraction_bits = 13;

  // What happens to the bits below 2^(E - F). NVIDIA's units truncate the magnitude
  // (sign-magnitude, toward zero) per both papers; the other two are for proposals and probes:
  // truncating a two's-complement term rounds toward minus infinity, and rounding to nearest even
  // is the alternative a vendor might build.
  enum class AlignRounding { truncate_toward_zero, truncate_toward_neg_inf, nearest_even };
  AlignRounding align_rounding = AlignRounding::truncate_toward_zero;

  // Where C enters. NVIDIA's units align C with the products (its exponent takes part in E and its
  // low bits are truncated like a product's: Khattak & Mikaitis' "global alignment", validated
  // with non-zero C on Ada). added_after: the products are aligned and summed among themselves, and C is added
  // to that sum exactly before the one final rounding (a proposal, and a probe hypothesis).
  enum class CPlacement { aligned_with_products, added_after };
  CPlacement c_placement = CPlacement::aligned_with_products;

  // Which exponent a product brings to the alignment. The hardware adds the operands' exponent
  // fields, so a product's significand lies in [1, 4) and its exponent is ea + eb (a subnormal
  // operand counting with its format's minimum exponent): Khattak & Mikaitis model NVIDIA this way
  // ("denormalised products"). `normalized` uses the product's own leading-bit exponent instead.
  enum class ProductExponent { operand_exponent_sum, normalized };
  ProductExponent product_exponent = ProductExponent::operand_exponent_sum;

  // Fraction bits the block's result keeps after normalisation (FP32 exponent range throughout).
  // 23 for an FP32 result; Khattak & Mikaitis find that Hopper and Ada FP8 blocks return only 13
  // (their model shortens the output significand by the same 10 bits as the adder).
  int result_fraction_bits = 23;

  // Rounding of the result to result_fraction_bits: toward zero (truncation) for NVIDIA's FP32
  // outputs per both papers; nearest even for FP32 CUDA-core arithmetic and the exact reference.
  enum class ResultRounding { toward_zero, nearest_even };
  ResultRounding result_rounding = ResultRounding::toward_zero;

  // true: each block's result is normalised and rounded before it becomes the next block's C (what
  // chaining MMA instructions does: the accumulator lives in FP32 registers). false: the unrounded
  // block sum is carried to the next block as C and only the last block of a dot() rounds; with
  // `exact` this makes a whole dot product one exact sum and one rounding.
  bool normalize_each_block = true;

  // Infinite precision: no alignment loss, the sum is exact and rounded once (Kulisch accumulator).
  bool exact = false;

  // The format the unit reads its operands in, when it is not the data's own: an FP16 MMA fed FP8
  // data sees them converted to FP16 (exact), so an E4M3 subnormal enters the exponent sum with its
  // true exponent rather than E4M3's minimum. Unset: the data's format.
  std::optional<Format> operand_format;

  // Where the parameter values come from (paper, or "to be confirmed on H100").
  std::string source;
};

// Empty when the model is usable, else what is wrong with it.
std::string check_model(const BlockFmaModel& model);

// One block: D = sum_{i<n} a_i*b_i + c, computed as `model` says (n may be anything >= 0; the
// hardware block has model.products_per_block products). The operands must be values of
// `operand_format` (at most 31 significant bits): a subnormal operand enters the exponent sum with
// that format's minimum exponent, as the hardware's exponent adders see it (model.operand_format,
// when set, takes precedence).
float block_fma(const BlockFmaModel& model, const double* a, const double* b, int n, float c,
                Format operand_format = Format::fp32);

// A dot product of length k chained through blocks of model.products_per_block products, starting
// from C = c; the last block may be partial. k = 0 returns c.
float dot(const BlockFmaModel& model, const double* a, const double* b, int k, float c,
          Format operand_format = Format::fp32);

}  // namespace hwlab::numerics

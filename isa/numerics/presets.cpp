#include "isa/numerics/presets.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "common/error.h"

namespace hwlab::numerics {
namespace {

// Khattak & Mikaitis, "Accurate models of NVIDIA tensor cores" (arXiv 2512.07004, 2025), whose
// models (github.com/north-numerical-computing/MATLAB-tensor-core) are validated bit for bit
// against 10^5 random inputs per GPU and format; Fasi, Higham, Mikaitis, Pranesh, "Numerical
// behavior of NVIDIA tensor cores" (PeerJ CS 7:e330, 2021) for the model's shape.
constexpr const char* kKM = "Khattak & Mikaitis 2025 (arXiv 2512.07004)";

BlockFmaModel hopper_fp8(std::string name) {
  BlockFmaModel m;
  m.name = std::move(name);
  m.products_per_block = 32;                        // K&M H100/H200 FP8: FMA size 32
  m.alignment_fraction_bits = 13;                   // K&M: 23 + neab, neab = -10; DeepSeek: 13
  m.align_rounding = BlockFmaModel::AlignRounding::truncate_toward_zero;   // K&M, DeepSeek: truncation
  m.c_placement = BlockFmaModel::CPlacement::aligned_with_products;     // K&M: global alignment incl. C
  m.product_exponent = BlockFmaModel::ProductExponent::operand_exponent_sum; // K&M: denormalised products
  m.result_fraction_bits = 13;                      // K&M: output significand 23 + neab bits
  m.result_rounding = BlockFmaModel::ResultRounding::toward_zero;   // K&M: final rounding RZ (FP32 output)
  m.normalize_each_block = true;
  m.exact = false;
  m.source = std::string(kKM) +
             " H100/H200 FP8->FP32 model; DeepSeek-V3 (arXiv 2412.19437) §3.3 and arXiv 2505.09343"
             " §3.1: 32 products aligned to the largest exponent, 13 fraction bits, truncation."
             " To be confirmed on H100/H200 (wgmma), C placement in particular: K&M's H100 FP8"
             " data were taken with C = 0";
  return m;
}

BlockFmaModel fp32_sequential(std::string name, std::string source) {
  BlockFmaModel m;
  m.name = std::move(name);
  m.products_per_block = 1;   // one product per step: fmaf(a, b, c)
  m.alignment_fraction_bits = 0;  // unused: exact
  m.align_rounding = BlockFmaModel::AlignRounding::nearest_even;
  m.c_placement = BlockFmaModel::CPlacement::aligned_with_products;
  m.product_exponent = BlockFmaModel::ProductExponent::operand_exponent_sum;
  m.result_fraction_bits = 23;
  m.result_rounding = BlockFmaModel::ResultRounding::nearest_even;
  m.normalize_each_block = true;
  m.exact = true;             // a*b + c exact, one rounding: an IEEE fused multiply-add
  m.source = std::move(source);
  return m;
}

const char* const kFixedNames[] = {"h100-fp8", "h100-fp8-mma-sync", "h100-fp16", "ada-fp8",
                                   "fp32-fma", "exact",             "fp32-acc"};

BlockFmaModel fixed(std::string_view name) {
  if (name == "h100-fp8") return hopper_fp8("h100-fp8");
  if (name == "h100-fp8-mma-sync") {
    // To be checked: the parameters are h100-fp8's. K&M's published H100 FP8 harness issues
    // mma.sync.aligned.m16n8k32 (model_validation/CUDA/mma_fp8_output_fp32.cu); DeepGEMM uses
    // wgmma. Whether both paths share the block is what the real-GPU probes must establish.
    BlockFmaModel m = hopper_fp8("h100-fp8-mma-sync");
    m.source = "same as h100-fp8, to be checked on H100/H200 for mma.sync.m16n8k32 vs wgmma; " +
               m.source;
    return m;
  }
  if (name == "h100-fp16") {
    BlockFmaModel m;
    m.name = "h100-fp16";
    m.products_per_block = 16;                        // K&M H100 FP16: FMA size 16
    m.alignment_fraction_bits = 25;                   // K&M: neab = 2 extra alignment bits
    m.align_rounding = BlockFmaModel::AlignRounding::truncate_toward_zero;
    m.c_placement = BlockFmaModel::CPlacement::aligned_with_products;
    m.product_exponent = BlockFmaModel::ProductExponent::operand_exponent_sum;
    m.result_fraction_bits = 23;
    m.result_rounding = BlockFmaModel::ResultRounding::toward_zero;   // K&M: RZ for FP32 output
    m.operand_format = Format::fp16;  // FP8 data reach an FP16 MMA converted to FP16
    m.source = std::string(kKM) + " H100 FP16->FP32 model (fma 16, neab 2, RZ); to be confirmed";
    return m;
  }
  if (name == "ada-fp8") {
    BlockFmaModel m = hopper_fp8("ada-fp8");
    m.products_per_block = 16;  // K&M Ada / L40S FP8: FMA size 16, no interleaving
    m.source = std::string(kKM) + " Ada (RTX 1000 Ada, L40S) FP8->FP32 model: fma 16, neab -10"
                                  " (13 alignment and 13 output fraction bits), RZ";
    return m;
  }
  if (name == "fp32-fma") {
    return fp32_sequential("fp32-fma", "IEEE 754 binary32 fused multiply-add, one product at a"
                                       " time (CUDA-core FFMA, as DeepGEMM's promotion uses)");
  }
  if (name == "fp32-acc") {
    // For FP8 operands (and power-of-two scales) every product is exact in FP32, so adding each
    // product with RNE and fmaf-ing it give the same bits: this preset equals fp32-fma. It is kept
    // under the proposal's name (DeepSeek-V3 §3.5.2: full-precision accumulation in the MMA).
    return fp32_sequential("fp32-acc", "proposal: full FP32 accumulation, each product added with"
                                       " RNE (DeepSeek-V3 §3.5.2); bit-identical to fp32-fma for"
                                       " FP8 operands");
  }
  if (name == "exact") {
    BlockFmaModel m = fp32_sequential("exact", "reference: exact sum of all products and C,"
                                               " one round-to-nearest-even to FP32");
    m.products_per_block = 32;
    m.normalize_each_block = false;  // the whole dot product is one exact sum
    return m;
  }
  return BlockFmaModel{};
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string valid_names() {
  std::string s;
  for (const char* n : kFixedNames) s += std::string(n) + ", ";
  s += "acc-<F> with F in [" + std::to_string(kMinAccFractionBits) + ", " +
       std::to_string(kMaxAccFractionBits) + "]";
  return s;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names(std::begin(kFixedNames), std::end(kFixedNames));
  names.push_back("acc-<F>");
  return names;
}

BlockFmaModel preset(std::string_view name) {
  for (const char* n : kFixedNames) {
    if (name == n) return fixed(name);
  }
  if (name.substr(0, 4) == "acc-") {
    const std::string_view digits = name.substr(4);
    const bool numeric = !digits.empty() && digits.size() <= 3 &&
                         std::all_of(digits.begin(), digits.end(),
                                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    const int f = numeric ? std::stoi(std::string(digits)) : -1;
    if (f < kMinAccFractionBits || f > kMaxAccFractionBits) {
      throw UserError("model '" + std::string(name) + "': acc-<F> needs an integer F in [" +
                      std::to_string(kMinAccFractionBits) + ", " +
                      std::to_string(kMaxAccFractionBits) + "]");
    }
    // h100-fp8 with F bits after alignment; the block's FP32 result keeps min(F, 23) fraction
    // bits, so that acc-13 is h100-fp8 and F >= 23 returns a full FP32 significand.
    BlockFmaModel m = hopper_fp8(std::string(name));
    m.alignment_fraction_bits = f;
    m.result_fraction_bits = std::min(f, 23);
    m.source = "proposal: configurable alignment width (DeepSeek-V3 §3.5.2); h100-fp8 with F = " +
               std::to_string(f) + " fraction bits after alignment and min(F, 23) in the result";
    return m;
  }
  std::string nearest;
  size_t best = ~size_t{0};
  for (const char* n : kFixedNames) {
    const size_t d = edit_distance(name, n);
    if (d < best) {
      best = d;
      nearest = n;
    }
  }
  if (edit_distance(name, "acc-16") < best) nearest = "acc-<F>";
  throw UserError("unknown model '" + std::string(name) + "'; valid models: " + valid_names() +
                  "; nearest: " + nearest);
}

}  // namespace hwlab::numerics

#include "isa/numerics/presets.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
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
             " Confirmed bit for bit on H100 and H200 through wgmma (QGMMA), C != 0 included: C is"
             " aligned with the products (papers/measurements/2026-11-23-fp8-probes.md)";
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
    // Measured (2026-11-23, H100 and H200, CUDA 13.0, sm_90a): mma.sync.m16n8k32 FP8 does not reach
    // the FP8 tensor-core path; ptxas emits F2FP (FP8 -> FP16) + two HMMA.16816.F32 + FADD. The
    // block is therefore the FP16 MMA's (16 products, F = 25, RZ, 23 result bits, FP8 data read as
    // FP16); which products share a block (the "pairs" order) and the FP32 add of each k32 result
    // to the accumulator belong to the path and are applied by `hwlab fp8 gemm-check`.
    BlockFmaModel m = fixed("h100-fp16");
    m.name = "h100-fp8-mma-sync";
    m.source = "measured on H100/H200 (papers/measurements/2026-11-23-fp8-probes.md): FP8 mma.sync on sm_90"
               " = FP16 HMMA blocks (pairs order) + FP32 add per k32; block = " + m.source;
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
    m.source = std::string(kKM) + " H100 FP16->FP32 model (fma 16, neab 2, RZ); confirmed on H100 and H200"
               " through mma.sync.m16n8k16 with FP8-valued data, C != 0 included (2026-11-23 probes)";
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

namespace {

// "key=value" modifiers after a preset name: hypotheses for the GPU probes, e.g.
// "h100-fp8,c=after" or "h100-fp8,block=16,F=14".
constexpr const char* kModifierHelp =
    "block=<products per block>, F=<alignment fraction bits>, align=trunc|floor|rne, c=aligned|after, "
    "pexp=sum|norm, result=<result fraction bits>, round=rz|rne, chain=round|exact, "
    "operand=e4m3|e5m2|fp16|bf16|fp32";

int modifier_int(std::string_view full, std::string_view key, std::string_view value) {
  const bool numeric = !value.empty() && value.size() <= 4 &&
                       std::all_of(value.begin(), value.end(),
                                   [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
  if (!numeric) {
    throw UserError("model '" + std::string(full) + "': " + std::string(key) +
                    " needs a non-negative integer, found '" + std::string(value) + "'");
  }
  return std::stoi(std::string(value));
}

void apply_modifier(BlockFmaModel& m, std::string_view full, std::string_view mod) {
  const size_t eq = mod.find('=');
  const std::string_view key = mod.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? std::string_view{} : mod.substr(eq + 1);
  auto choose = [&](std::initializer_list<std::string_view> options) -> size_t {
    size_t i = 0;
    for (std::string_view o : options) {
      if (value == o) return i;
      ++i;
    }
    std::string list;
    for (std::string_view o : options) list += (list.empty() ? "" : "|") + std::string(o);
    throw UserError("model '" + std::string(full) + "': " + std::string(key) + " must be " + list +
                    ", found '" + std::string(value) + "'");
  };
  using M = BlockFmaModel;
  if (key == "block") {
    m.products_per_block = modifier_int(full, key, value);
  } else if (key == "F") {
    m.alignment_fraction_bits = modifier_int(full, key, value);
  } else if (key == "align") {
    const M::AlignRounding r[] = {M::AlignRounding::truncate_toward_zero,
                                  M::AlignRounding::truncate_toward_neg_inf,
                                  M::AlignRounding::nearest_even};
    m.align_rounding = r[choose({"trunc", "floor", "rne"})];
  } else if (key == "c") {
    m.c_placement = choose({"aligned", "after"}) == 0 ? M::CPlacement::aligned_with_products
                                                      : M::CPlacement::added_after;
  } else if (key == "pexp") {
    m.product_exponent = choose({"sum", "norm"}) == 0 ? M::ProductExponent::operand_exponent_sum
                                                      : M::ProductExponent::normalized;
  } else if (key == "result") {
    m.result_fraction_bits = modifier_int(full, key, value);
  } else if (key == "round") {
    m.result_rounding = choose({"rz", "rne"}) == 0 ? M::ResultRounding::toward_zero
                                                   : M::ResultRounding::nearest_even;
  } else if (key == "operand") {
    const Format f[] = {Format::e4m3, Format::e5m2, Format::fp16, Format::bf16, Format::fp32};
    m.operand_format = f[choose({"e4m3", "e5m2", "fp16", "bf16", "fp32"})];
  } else if (key == "chain") {
    m.normalize_each_block = choose({"round", "exact"}) == 0;
  } else {
    throw UserError("model '" + std::string(full) + "': unknown modifier '" + std::string(mod) +
                    "'; modifiers: " + kModifierHelp);
  }
}

}  // namespace

BlockFmaModel preset(std::string_view name) {
  const size_t comma = name.find(',');
  if (comma != std::string_view::npos) {
    BlockFmaModel m = preset(name.substr(0, comma));
    std::string_view rest = name.substr(comma + 1);
    while (true) {
      const size_t next = rest.find(',');
      apply_modifier(m, name, rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest = rest.substr(next + 1);
    }
    const std::string problem = check_model(m);
    if (!problem.empty()) throw UserError("model '" + std::string(name) + "': " + problem);
    m.name = std::string(name);
    m.source = "hypothesis: " + std::string(name) + " (" + m.source + ")";
    return m;
  }
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

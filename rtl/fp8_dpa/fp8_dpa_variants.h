// The variants of the FP8 dot-product-accumulate unit (rtl/fp8_dpa): each is a parameter set of the
// one top module fp8_dpa_unit.sv, with the isa/numerics model it equals bit for bit. Shared by the
// Verilator test bench (tests/rtl/fp8_dpa) and `hwlab rtl area` (tools/hwlab/cmd_rtl.cpp), and read
// by rtl/fp8_dpa/fp8_dpa.cmake, which makes one Verilated model per row (V<rtl_name>, the row's
// parameters as -G overrides) and lints each row's parameter set: this table is the only place the
// parameter values are written. Header-only, no dependencies.
//
// fp8_dpa.cmake parses this file with regular expressions: keep each table row's fields up to
// `scaled` on the row's first line, in the order of Fp8DpaVariant, and the enum's `name = value,`
// lines as they are (clang-format is off around both).
#pragma once

namespace hwlab::rtl {

// fp8_dpa_unit's ARCH parameter: which datapath the generate instantiates.
// clang-format off
enum class Fp8DpaArch : int {
  block = 0,       // fp8_dpa_core: align to the largest exponent, exact sum, round once
  fp32_chain = 1,  // fp8_dpa_fp32acc: N exact FMA steps, each rounded to FP32
  exact = 2,       // fp8_dpa_exact_core: Kulisch-style exact sum, rounded once to FP32
};
// clang-format on

struct Fp8DpaVariant {
  const char* name;      // how the CLI and the tests call it
  const char* rtl_name;  // Verilated model class V<rtl_name>; Yosys' file names
  const char* model;     // isa/numerics preset (with modifiers) it equals bit for bit
  // fp8_dpa_unit's parameters, by their RTL names. F .. SCALED are block parameters: 0 elsewhere.
  Fp8DpaArch arch;       // ARCH
  int products;          // N, products per block
  int align_bits;        // F, fraction bits kept after alignment
  int align_rne;         // ALIGN_MODE: 0 truncation, 1 nearest even
  int result_bits;       // RESULT_BITS, fraction bits of the result
  int result_rne;        // RESULT_RNE: 0 toward zero, 1 nearest even
  int scaled;            // SCALED: 1 applies UE8M0 group scales (in_scale_a, in_scale_b) inside the block
  const char* summary;
};

// Columns: name, rtl_name, model, then ARCH, N, F, ALIGN_MODE, RESULT_BITS, RESULT_RNE, SCALED; summary.
// clang-format off
inline constexpr Fp8DpaVariant kFp8DpaVariants[] = {
    {"h100-fp8",    "fp8_dpa_h100",      "h100-fp8",                   Fp8DpaArch::block,      32, 13, 0, 13, 0, 0,
     "Hopper-like: N=32, F=13 truncated, 13 result bits toward zero"},
    {"ada-fp8",     "fp8_dpa_ada",       "ada-fp8",                    Fp8DpaArch::block,      16, 13, 0, 13, 0, 0,
     "Ada-like: N=16, F=13 truncated, 13 result bits toward zero"},
    {"acc-16",      "fp8_dpa_acc16",     "acc-16",                     Fp8DpaArch::block,      32, 16, 0, 16, 0, 0,
     "proposal: F=16 truncated, 16 result bits toward zero"},
    {"acc-20",      "fp8_dpa_acc20",     "acc-20",                     Fp8DpaArch::block,      32, 20, 0, 20, 0, 0,
     "proposal: F=20 truncated, 20 result bits toward zero"},
    {"acc-25",      "fp8_dpa_acc25",     "acc-25",                     Fp8DpaArch::block,      32, 25, 0, 23, 0, 0,
     "proposal: F=25 truncated, 23 result bits toward zero"},
    {"acc-16-rne",  "fp8_dpa_acc16_rne", "acc-16,align=rne,round=rne", Fp8DpaArch::block,      32, 16, 1, 16, 1, 0,
     "proposal: F=16, nearest even at alignment and result"},
    {"fp32-acc",    "fp8_dpa_fp32acc32", "fp32-acc",                   Fp8DpaArch::fp32_chain, 32,  0, 0,  0, 0, 0,
     "proposal: full FP32 accumulation, 32 chained exact FMA steps (RNE each)"},
    {"exact",       "fp8_dpa_exact",     "exact",                      Fp8DpaArch::exact,      32,  0, 0,  0, 0, 0,
     "reference proposal: exact block sum rounded once to FP32 (Kulisch-style fixed-point adder)"},
    {"h100-fp8-mx", "fp8_dpa_h100_mx",   "h100-fp8",                   Fp8DpaArch::block,      32, 13, 0, 13, 0, 1,
     "proposal: h100-fp8 with MX group scales (UE8M0 per 32 products) applied inside"},
};
// clang-format on

// The index of the Hopper-like unit in kFp8DpaVariants: the area ratios' reference.
inline constexpr int kFp8DpaHopperVariant = 0;

// The top module and its parameters as (RTL name, value), for -G overrides and Yosys' chparam.
inline constexpr const char* kFp8DpaTop = "fp8_dpa_unit";
struct Fp8DpaParameter {
  const char* name;
  int value;
};
struct Fp8DpaParameters {
  Fp8DpaParameter p[7];
};
constexpr Fp8DpaParameters parameters_of(const Fp8DpaVariant& v) {
  return {{{"ARCH", static_cast<int>(v.arch)},
           {"N", v.products},
           {"F", v.align_bits},
           {"ALIGN_MODE", v.align_rne},
           {"RESULT_BITS", v.result_bits},
           {"RESULT_RNE", v.result_rne},
           {"SCALED", v.scaled}}};
}

// RTL sources, relative to rtl/fp8_dpa/, in an order that reads for every tool (fp8_dpa.cmake
// reads this list too).
// clang-format off
inline constexpr const char* kFp8DpaSources[] = {
    "fp8_dpa_decode.sv", "fp8_dpa_products.sv", "fp8_dpa_pipe_ctrl.sv", "fp8_dpa_align.sv",
    "fp8_dpa_normround.sv", "fp8_dpa_core.sv", "fp8_dpa_fma_step.sv", "fp8_dpa_fp32acc.sv",
    "fp8_dpa_exact_core.sv", "fp8_dpa_unit.sv",
};
// clang-format on

}  // namespace hwlab::rtl

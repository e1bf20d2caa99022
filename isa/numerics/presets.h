// Named block-FMA models: the GPUs we can check against, and the proposals.
//
//   h100-fp8            Hopper FP8 MMA, QGMMA (E4M3/E5M2 in, FP32 out); confirmed on H100/H200
//   h100-fp8-mma-sync   mma.sync FP8 on sm_90: measured to run on the FP16 MMA (this is its block;
//                       `hwlab fp8 gemm-check` adds the path's product order and per-k32 FP32 add)
//   h100-fp16           Hopper FP16 MMA, FP32 out; confirmed on H100/H200
//   ada-fp8             Ada (RTX 1000 Ada, L40S) FP8 MMA, FP32 out
//   fp32-fma            sequential FP32 fmaf on CUDA cores (the promotion arithmetic)
//   exact               exact sum, one round-to-nearest-even to FP32 (the reference)
//   acc-<F>             proposal: h100-fp8 with F fraction bits after alignment, F in [10, 40]
//   fp32-acc            proposal: full FP32 accumulation (each product added with RNE)
//
// The values and their sources are listed in presets.cpp and isa/numerics/README.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isa/numerics/block_fma.h"

namespace hwlab::numerics {

// The model called `name`. Throws hwlab::UserError naming the valid names and the nearest one.
// "NAME,key=value,..." modifies a preset, for hypotheses (probes, studies): block=<products per
// block>, F=<alignment bits>, align=trunc|floor|rne, c=aligned|after, pexp=sum|norm,
// result=<result bits>, round=rz|rne, chain=round|exact, operand=e4m3|e5m2|fp16|bf16|fp32.
BlockFmaModel preset(std::string_view name);

// The fixed names, plus "acc-<F>" for the family.
std::vector<std::string> preset_names();

inline constexpr int kMinAccFractionBits = 10;
inline constexpr int kMaxAccFractionBits = 40;

}  // namespace hwlab::numerics

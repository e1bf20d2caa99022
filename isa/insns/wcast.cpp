// WCAST: a warp-level FP8 cast. A warp holds one 1x128 activation tile (32 lanes x 4 values); the
// instruction does the warp-wide amax, the scale and the conversion in one step, the online
// quantization DeepSeek-V3 §3.3.2 performs with several instructions per element.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/numerics/formats.h"
#include "isa/rows.h"

namespace hwlab::isa::insns {
namespace {

namespace nx = hwlab::numerics;

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const Dtype stype = insn.dtype("stype");
  const nx::Format format = insn.u("format") == 0 ? nx::Format::e4m3 : nx::Format::e5m2;
  const std::vector<float> x =
      load_row(stype, ctx.load(ctx.self(), insn.u("src"), row_bytes(stype, kTileElements)).data(), kTileElements);
  float amax = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) ctx.fail(fmt::format("element {} is {}: FP8 holds finite values only", i, x[i]));
    amax = std::max(amax, std::fabs(x[i]));
  }
  const float scale = std::max(amax, 1e-4f) / static_cast<float>(nx::format_info(format).max_finite);
  std::vector<uint8_t> out(kTileElements + 4);
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = static_cast<uint8_t>(nx::encode(format, x[i] / scale, nx::Saturation::finite));
  const uint32_t bits = nx::float_bits(scale);
  for (size_t b = 0; b < 4; ++b) out[kTileElements + b] = static_cast<uint8_t>(bits >> (8 * b));
  ctx.store(ctx.self(), insn.u("dst"), out);
  ctx.count(ctx.self(), ctx.self(), 0, out.size());
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const Dtype s = insn.dtype("stype");
  return s == Dtype::fp32 || s == Dtype::bf16 ? "" : fmt::format("stype {} is not fp32 or bf16", dtype_name(s));
}

}  // namespace

const Semantics wcast{execute, check,
                      "Converts the 128 `stype` elements at `src` (one 1x128 tile: 32 lanes x 4) to `format` "
                      "at `dst`, followed by the tile's FP32 scale: amax = max(max |x|, 1e-4), scale = "
                      "fp32(amax / max_finite) (448 for e4m3, 57344 for e5m2), code = fp8(fp32(x / scale)) "
                      "rounded to nearest even and saturated to the finite range. A non-finite element is "
                      "an error. Counted as the 132 bytes written, local."};

}  // namespace hwlab::isa::insns

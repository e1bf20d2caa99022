// LDTRANS: the transposed operand path (DeepSeek-V3 §3.5.2 asks for fused transposed loads so that
// the backward pass can read activations quantized along the other axis without a separate pass).
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t rows = insn.u("rows"), cols = insn.u("cols"), esize = insn.u("esize");
  const std::vector<uint8_t> in = ctx.load(ctx.self(), insn.u("src"), rows * cols * esize);
  std::vector<uint8_t> out(in.size());
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c)
      for (uint64_t b = 0; b < esize; ++b) out[(c * rows + r) * esize + b] = in[(r * cols + c) * esize + b];
  ctx.store(ctx.self(), insn.u("dst"), out);
  ctx.count(ctx.self(), ctx.self(), 0, out.size());
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const uint64_t e = insn.u("esize");
  return e == 1 || e == 2 || e == 4 ? "" : fmt::format("esize {} is not 1, 2 or 4", e);
}

}  // namespace

const Semantics ldtrans{execute, check,
                        "Reads a `rows` x `cols` tile of `esize`-byte elements, row-major, at `src` and writes "
                        "its transpose (`cols` x `rows`, row-major) at `dst`, both on the executing GPU: "
                        "dst[c][r] = src[r][c], bytes copied unchanged. Counted as the tile's bytes, local."};

}  // namespace hwlab::isa::insns

// LOGFMT.DEC: back from LogFMT-nBit to FP32 or BF16 (arXiv 2505.09343 §3.2; isa/logfmt.h).
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/logfmt.h"
#include "isa/numerics/formats.h"
#include "isa/rows.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t cols = insn.u("cols"), rows = insn.u("rows"), dst = insn.u("dst"), src = insn.u("src");
  const int bits = static_cast<int>(insn.u("bits"));
  const Dtype dtype = insn.dtype("dtype");
  const uint64_t src_bytes = logfmt_row_bytes(cols, bits), dst_bytes = row_bytes(dtype, cols);
  ctx.check(ctx.self(), src, rows * src_bytes, kRead);
  ctx.check(ctx.self(), dst, rows * dst_bytes, kWrite);
  std::vector<double> levels(cols);
  std::vector<float> values(cols);
  std::vector<uint8_t> out(dst_bytes);
  for (uint64_t r = 0; r < rows; ++r) {
    const std::string why =
        logfmt_decode_row(ctx.load(ctx.self(), src + r * src_bytes, src_bytes).data(), cols, bits, levels.data());
    if (!why.empty()) ctx.fail(fmt::format("row {}: {}", r, why));
    if (dtype == Dtype::fp32) {
      for (uint64_t i = 0; i < cols; ++i) values[i] = numerics::round_to_fp32(levels[i]);
      store_row(dtype, values.data(), cols, out.data());
    } else {
      for (uint64_t i = 0; i < cols; ++i) {  // one rounding, straight from the exact level
        const uint16_t code = numerics::float_to_bf16(levels[i]);
        out[2 * i] = static_cast<uint8_t>(code);
        out[2 * i + 1] = static_cast<uint8_t>(code >> 8);
      }
    }
    ctx.store(ctx.self(), dst + r * dst_bytes, out);
  }
  ctx.count(ctx.self(), ctx.self(), 0, rows * dst_bytes);
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const Dtype d = insn.dtype("dtype");
  return d == Dtype::fp32 || d == Dtype::bf16 ? "" : fmt::format("dtype {} is not fp32 or bf16", dtype_name(d));
}

}  // namespace

const Semantics logfmt_dec{
    execute, check,
    "Decodes `rows` LogFMT-`bits`Bit rows of `cols` elements at `src` (layout as LOGFMT.ENC writes it) to "
    "`dtype` rows at `dst` (executing GPU): code S.K gives 0 for K = 0, else level(K) = 2^(min + Step*(K-1)) "
    "computed in double precision from the tile header, with sign S, rounded once to `dtype` (nearest "
    "even). A tile header with a non-finite min or Step, or a negative Step, is an error. Counted as the "
    "decoded bytes, local."};

}  // namespace hwlab::isa::insns

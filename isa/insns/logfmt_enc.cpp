// LOGFMT.ENC: LogFMT-nBit compression for communication (arXiv 2505.09343 §3.2; the arithmetic is
// defined in isa/logfmt.h).
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/logfmt.h"
#include "isa/rows.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t cols = insn.u("cols"), rows = insn.u("rows"), dst = insn.u("dst"), src = insn.u("src");
  const int bits = static_cast<int>(insn.u("bits"));
  const Dtype stype = insn.dtype("stype");
  const uint64_t src_bytes = row_bytes(stype, cols), dst_bytes = logfmt_row_bytes(cols, bits);
  ctx.check(ctx.self(), src, rows * src_bytes, kRead);
  ctx.check(ctx.self(), dst, rows * dst_bytes, kWrite);
  std::vector<uint8_t> out(dst_bytes);
  for (uint64_t r = 0; r < rows; ++r) {
    const std::vector<float> v = load_row(stype, ctx.load(ctx.self(), src + r * src_bytes, src_bytes).data(), cols);
    const std::string why = logfmt_encode_row(v.data(), cols, bits, out.data());
    if (!why.empty()) ctx.fail(fmt::format("row {}: {}", r, why));
    ctx.store(ctx.self(), dst + r * dst_bytes, out);
  }
  ctx.count(ctx.self(), ctx.self(), 0, rows * dst_bytes);
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const Dtype s = insn.dtype("stype");
  return s == Dtype::fp32 || s == Dtype::bf16 ? "" : fmt::format("stype {} is not fp32 or bf16", dtype_name(s));
}

}  // namespace

const Semantics logfmt_enc{
    execute, check,
    "Encodes `rows` rows of `cols` `stype` elements at `src` as LogFMT-`bits`Bit rows at `dst` (executing "
    "GPU), tile by tile (128 elements, the last tile of a row may be shorter). Per tile, following "
    "arXiv 2505.09343 §3.2: over the non-zero elements, min = log2 min |x| and max = log2 max |x| (double "
    "precision), min raised to at least max - 32 (the paper's max - log(2^32)), Step = (max - min) / "
    "(2^(n-1) - 2); the tile header stores fp32(min) and fp32(Step). level(K) = 2^(min + Step*(K-1)) for "
    "K = 1 .. 2^(n-1)-1 from the stored values. An element's code is S.K with S its sign bit and K = 0 for "
    "zero, else the K whose level is nearest to |x| in the linear domain (ties to the even K); below "
    "level(1) the choice is between level(1) and 0; when Step is 0 every non-zero element takes the top K. "
    "Tile layout: FP32 min, FP32 Step, then the n-bit codes as a little-endian bit stream padded to a byte "
    "(8 + ceil(128 n / 8) bytes for a full tile). NaN or infinity is an error naming the element. Counted as "
    "the encoded bytes, local."};

}  // namespace hwlab::isa::insns

// CAST: the data type conversions around all-to-all (arXiv 2505.09343 §4.4.1, "Data Type Cast"):
// BF16/FP32 to FP8 E4M3 with one scale per 1x128 tile for dispatch, and back.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/rows.h"

namespace hwlab::isa::insns {
namespace {

bool is_fp8(Dtype d) { return d == Dtype::e4m3s || d == Dtype::e4m3u; }

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t cols = insn.u("cols"), rows = insn.u("rows"), dst = insn.u("dst"), src = insn.u("src");
  const Dtype stype = insn.dtype("stype"), dtype = insn.dtype("dtype");
  const uint64_t src_bytes = row_bytes(stype, cols), dst_bytes = row_bytes(dtype, cols);
  ctx.check(ctx.self(), src, rows * src_bytes, kRead);
  ctx.check(ctx.self(), dst, rows * dst_bytes, kWrite);
  std::vector<uint8_t> out(dst_bytes);
  for (uint64_t r = 0; r < rows; ++r) {
    const std::vector<float> v = load_row(stype, ctx.load(ctx.self(), src + r * src_bytes, src_bytes).data(), cols);
    const std::string why = store_row(dtype, v.data(), cols, out.data());
    if (!why.empty()) ctx.fail(fmt::format("row {}: {}", r, why));
    ctx.store(ctx.self(), dst + r * dst_bytes, out);
  }
  ctx.count(ctx.self(), ctx.self(), 0, rows * dst_bytes);
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const Dtype s = insn.dtype("stype"), d = insn.dtype("dtype");
  if (s == d) return fmt::format("stype and dtype are both {}: nothing to convert", dtype_name(s));
  if (is_fp8(s) && is_fp8(d)) return "FP8 to FP8 is not a CAST: go through fp32";
  return "";
}

}  // namespace

const Semantics cast{
    execute, check,
    "Converts `rows` rows of `cols` elements from `stype` at `src` to `dtype` at `dst`, both on the "
    "executing GPU (rows packed: row r at `r*row_bytes`). Every pair of distinct types except FP8 to FP8. "
    "Source elements become FP32 values (FP8: code times tile scale, rounded once); then fp32 stores them, "
    "bf16 rounds to nearest even, and the FP8 types quantize each 1x128 tile: amax = max(max |x|, 1e-4), "
    "scale = fp32(amax / 448) for e4m3s or the power of two 2^ceil(log2(fp32(amax / 448))) for e4m3u "
    "(UE8M0), code = E4M3(fp32(x / scale)) rounded to nearest even and saturated to +-448. A non-finite "
    "element bound for FP8 is an error naming the row and element. Counted as the destination bytes, local."};

}  // namespace hwlab::isa::insns

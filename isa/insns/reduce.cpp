// REDUCE: the sum of EP combine (arXiv 2505.09343 §4.4.1, "Reduce Operations"), done where the
// result lands, in one documented order so that every run and every implementation agree bit for bit.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/rows.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const DestinationSet srcs = insn.destinations("srcs");
  const uint64_t cols = insn.u("cols"), rows = insn.u("rows"), dst = insn.u("dst"), src = insn.u("src");
  const Dtype stype = insn.dtype("stype"), dtype = insn.dtype("dtype");
  const bool accumulate = insn.u("accumulate") != 0;
  const uint64_t src_bytes = row_bytes(stype, cols), dst_bytes = row_bytes(dtype, cols);
  ctx.check(ctx.self(), dst, rows * dst_bytes, accumulate ? kRead : kWrite);
  ctx.check(ctx.self(), dst, rows * dst_bytes, kWrite);
  for (const GpuId& g : srcs.gpus()) ctx.check(g, src, rows * src_bytes, kRead);
  std::vector<uint8_t> out(dst_bytes);
  for (uint64_t r = 0; r < rows; ++r) {
    // The rows stay alive while reduce_row reads them.
    std::vector<std::vector<uint8_t>> rows_in;
    if (accumulate) rows_in.push_back(ctx.load(ctx.self(), dst + r * dst_bytes, dst_bytes));
    for (const GpuId& g : srcs.gpus()) rows_in.push_back(ctx.load(g, src + r * src_bytes, src_bytes));
    std::vector<RowAddend> addends;
    for (size_t k = 0; k < rows_in.size(); ++k)
      addends.push_back({accumulate && k == 0 ? dtype : stype, rows_in[k].data()});
    const std::string why = reduce_row(addends, cols, dtype, out.data());
    if (!why.empty()) ctx.fail(fmt::format("row {}: {}", r, why));
    ctx.store(ctx.self(), dst + r * dst_bytes, out);
  }
  for (const GpuId& g : srcs.gpus()) ctx.count(g, ctx.self(), srcs.plane, rows * src_bytes);
  return StepResult::done;
}

}  // namespace

const Semantics reduce{
    execute, nullptr,
    "For each of `rows` rows (row r of a GPU at `src + r*row_bytes(stype, cols)`, of the destination at "
    "`dst + r*row_bytes(dtype, cols)` on the executing GPU), every element is summed in FP32 in this order: "
    "the destination's current value first when `accumulate=yes`, then the rows of the GPUs of `srcs` in "
    "ascending GPU order. The first addend is taken as it is; each further addend is added with one FP32 "
    "addition rounded to nearest even (acc = fp32(acc + x)). Source elements are converted to FP32 first "
    "(exactly for fp32 and bf16; FP8 codes times their tile's scale, rounded once). The sum is then stored "
    "in `dtype`: fp32 as is, bf16 rounded to nearest even, FP8 quantized per 1x128 tile as CAST does; a NaN "
    "sum is stored as the canonical NaN (fp32 0x7FFFFFFF, bf16 0x7FFF), whatever the NaNs it came from. "
    "Counted as the source rows' bytes from each source GPU to the executing GPU."};

}  // namespace hwlab::isa::insns

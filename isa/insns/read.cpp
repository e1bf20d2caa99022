// READ: pull. The executing GPU fetches bytes from any GPU's memory into its own.
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const GlobalAddress src = insn.address("src");
  const uint64_t bytes = insn.u("bytes");
  ctx.copy(src.where, src.offset, ctx.self(), insn.u("dst"), bytes);
  ctx.count(src.where, ctx.self(), src.plane, bytes);
  return StepResult::done;
}

}  // namespace

const Semantics read{execute, nullptr,
                     "Copies `bytes` bytes from `src` (any GPU, through plane `src.plane` when the path is "
                     "IB) to offset `dst` of the executing GPU. Needs a read window on the source and a write "
                     "window on the destination. Counted as `bytes` from the source GPU to the executing "
                     "GPU. Overlapping ranges on one GPU copy as memmove does."};

}  // namespace hwlab::isa::insns

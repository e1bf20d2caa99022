// MULTICAST: one source, every GPU of a destination set (EP dispatch's broadcast, arXiv 2505.09343
// §4.4.2 (3)). Each destination receives its own copy, so the bytes are counted per destination.
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const DestinationSet set = insn.destinations("dsts");
  const uint64_t dst = insn.u("dst"), src = insn.u("src"), bytes = insn.u("bytes");
  ctx.check(ctx.self(), src, bytes, kRead);
  for (const GpuId& g : set.gpus()) ctx.check(g, dst, bytes, kWrite);  // all or nothing
  for (const GpuId& g : set.gpus()) {
    ctx.copy(ctx.self(), src, g, dst, bytes);
    ctx.count(ctx.self(), g, set.plane, bytes);
  }
  return StepResult::done;
}

}  // namespace

const Semantics multicast{execute, nullptr,
                          "Copies `bytes` bytes from offset `src` of the executing GPU to offset `dst` of every "
                          "GPU of `dsts`, in ascending GPU order (the executing GPU may be one of them). Every "
                          "window is checked before any byte moves. Counted as `bytes` from the executing GPU to "
                          "each destination (a copy per destination, direct IB when the node is remote)."};

}  // namespace hwlab::isa::insns

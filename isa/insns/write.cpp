// WRITE: push. The executing GPU sends bytes of its own memory to any GPU (an RDMA write, or an
// NVLink store, through one interface: the link class follows from the destination).
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const GlobalAddress dst = insn.address("dst");
  const uint64_t bytes = insn.u("bytes");
  ctx.copy(ctx.self(), insn.u("src"), dst.where, dst.offset, bytes);
  ctx.count(ctx.self(), dst.where, dst.plane, bytes);
  return StepResult::done;
}

}  // namespace

const Semantics write{execute, nullptr,
                      "Copies `bytes` bytes from offset `src` of the executing GPU to `dst` (any GPU, through "
                      "plane `dst.plane` when the path is IB). Needs a read window on the source and a write "
                      "window on the destination. Counted as `bytes` from the executing GPU to the destination "
                      "GPU."};

}  // namespace hwlab::isa::insns

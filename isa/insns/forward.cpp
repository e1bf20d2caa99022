// FORWARD: the IB-to-NVLink forwarding of DeepSeek-V3's dispatch (arXiv 2412.19437 §3.2.2) moved
// into the network: one IB transfer per destination node, to the GPU with the sender's in-node index
// (or any chosen `via`), whose co-processor scatters it over NVLink (arXiv 2505.09343 §4.4.2 (1)).
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const DestinationSet set = insn.destinations("dsts");
  const GpuId via{set.node, static_cast<unsigned>(insn.u("via"))};
  const uint64_t dst = insn.u("dst"), src = insn.u("src"), bytes = insn.u("bytes");
  ctx.check(ctx.self(), src, bytes, kRead);
  for (const GpuId& g : set.gpus()) ctx.check(g, dst, bytes, kWrite);
  ctx.count(ctx.self(), via, set.plane, bytes);  // the one scale-out crossing
  for (const GpuId& g : set.gpus()) {
    ctx.copy(ctx.self(), src, g, dst, bytes);
    if (g != via) ctx.count(via, g, set.plane, bytes);  // the forwarder's NVLink scatter
  }
  return StepResult::done;
}

}  // namespace

const Semantics forward{execute, nullptr,
                        "Sends `bytes` bytes from offset `src` of the executing GPU once to the forwarder, GPU "
                        "`via` of the node of `dsts`, whose co-processor writes them to offset `dst` of every GPU "
                        "of `dsts` (itself included when its bit is set; otherwise it only relays). The executing "
                        "queue needs write windows on every destination. Counted as `bytes` from the executing "
                        "GPU to the forwarder (IB when the node is remote) plus `bytes` from the forwarder to "
                        "each other destination (NVLink)."};

}  // namespace hwlab::isa::insns

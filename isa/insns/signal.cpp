// SIGNAL: hardware synchronisation (arXiv 2505.09343 §4.4.2 (4)): a memory-semantic counter update
// with release ordering replaces RDMA completion events.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const GlobalAddress c = insn.address("counter");
  const uint64_t old = ctx.load_u64(c.where, c.offset, kWrite);
  const uint64_t value = insn.u("value");
  ctx.store_u64(c.where, c.offset, insn.u("op") == 0 ? value : old + value);
  ctx.count_sync(ctx.self(), c.where, c.plane, 8);
  return StepResult::done;
}

std::string check(const Instruction& insn) {
  const uint64_t offset = insn.address("counter").offset;
  return offset % 8 ? fmt::format("counter offset {:#x} is not 8-byte aligned", offset) : "";
}

}  // namespace

const Semantics signal{
    execute, check,
    "Atomically updates the little-endian 64-bit counter at `counter` (any GPU, 8-byte aligned): "
    "`op=set` stores `value`, `op=add` adds it modulo 2^64. With `order=release`, every access of earlier "
    "descriptors of the queue (remote writes included) is visible to any queue that observes the new counter "
    "value with an acquire WAIT. Needs a write window on the counter. Counted as 8 bytes from the executing "
    "GPU to the counter's GPU, apart from the payload counts (synchronisation traffic)."};

}  // namespace hwlab::isa::insns

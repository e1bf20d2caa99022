// WAIT: the acquire side of SIGNAL. The queue stalls (the executor retries it every round) until the
// condition holds; a condition no queue can make true is reported as a deadlock, never a hang.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t offset = insn.u("counter"), value = insn.u("value");
  const uint64_t now = ctx.load_u64(ctx.self(), offset);
  const bool ge = insn.u("cond") == 0;
  if (ge ? now >= value : now == value) return StepResult::done;
  ctx.set_blocked_reason(fmt::format("counter {}:{:#x} holds {}, waits for {} {}", ctx.self().str(), offset, now,
                                     ge ? ">=" : "==", value));
  return StepResult::blocked;
}

std::string check(const Instruction& insn) {
  const uint64_t offset = insn.u("counter");
  return offset % 8 ? fmt::format("counter offset {:#x} is not 8-byte aligned", offset) : "";
}

}  // namespace

const Semantics wait{
    execute, check,
    "Blocks the queue until the 64-bit counter at offset `counter` of the executing GPU satisfies `cond` "
    "against `value` (ge: counter >= value, eq: counter == value). With `order=acquire`, no access of a later "
    "descriptor of the queue happens before the condition held, so it sees everything the releasing SIGNAL "
    "published. Needs a read window on the counter. When no queue of the program can make progress, the run "
    "ends with a deadlock error naming every blocked queue, its WAIT and the counter's value."};

}  // namespace hwlab::isa::insns

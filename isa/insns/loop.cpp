// LOOP: a counted backward branch (as in DMA engines' loop descriptors), so that a queue can repeat
// a chunked pipeline without repeating its descriptors.
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  auto& loops = ctx.loop_remaining();
  const int self = ctx.descriptor_index();
  auto it = loops.find(self);
  if (it == loops.end()) it = loops.emplace(self, insn.u("count")).first;
  if (it->second == 0) {
    loops.erase(it);  // the next arrival starts a fresh count, so nested loops work
    return StepResult::done;
  }
  --it->second;
  ctx.jump_to_descriptor(static_cast<int>(insn.u("target")));
  return StepResult::done;
}

}  // namespace

const Semantics loop{execute, nullptr,
                     "On arrival with no pass count running, the count is loaded from `count`. If it is "
                     "non-zero, it is decremented and the queue continues at descriptor `target`; if it is "
                     "zero, the count is cleared and the queue continues after the LOOP. The body "
                     "[target, LOOP] thus runs `count` + 1 times in all. `target` must be a descriptor of the "
                     "same queue at or before the LOOP (checked when the program is loaded)."};

}  // namespace hwlab::isa::insns

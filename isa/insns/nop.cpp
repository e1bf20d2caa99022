// NOP: no effect; pads a queue.
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext&, const Instruction&) { return StepResult::done; }

}  // namespace

const Semantics nop{execute, nullptr, "No effect."};

}  // namespace hwlab::isa::insns

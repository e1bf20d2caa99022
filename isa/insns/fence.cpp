// FENCE: an ordering point. The functional executor completes every descriptor before the next one
// of its queue starts, so there is nothing left to order; the timing model is where FENCE costs.
#include "isa/exec_context.h"
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext&, const Instruction&) { return StepResult::done; }

}  // namespace

const Semantics fence{execute, nullptr,
                      "No descriptor of the queue after the FENCE starts before every descriptor before it has "
                      "completed, including the remote writes it issued (they are visible at their "
                      "destinations). Hardware may otherwise overlap a queue's descriptors; the functional "
                      "executor never does, so FENCE has no further effect there."};

}  // namespace hwlab::isa::insns

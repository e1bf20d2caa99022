// QUEUE: structural. The program loader (split_queues) consumes it; it never executes.
#include "isa/insns/insns.h"

namespace hwlab::isa::insns {

const Semantics queue{nullptr, nullptr,
                      "Structural, never executed: the descriptors after a QUEUE, up to the next QUEUE, are the "
                      "command queue `queue` of the co-processor next to GPU `coproc`. Descriptors before the "
                      "first QUEUE belong to queue n0.g0.q0. A program may start each queue once. The queues of a "
                      "program run concurrently (see the execution model)."};

}  // namespace hwlab::isa::insns

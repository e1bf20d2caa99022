// The semantics of every instruction, one file each (Spike's riscv/insns/ layout). The table refers
// to these by address; each file holds the execute function, its cross-field check and the exact
// semantics as Markdown for the reference.
#pragma once

#include "isa/table.h"

namespace hwlab::isa::insns {

extern const Semantics nop, queue, fence, loop;
extern const Semantics read, write, multicast, forward, reduce;
extern const Semantics signal, wait;
extern const Semantics cast, logfmt_enc, logfmt_dec;
extern const Semantics dispatch, combine;
extern const Semantics mma_fp8, ldtrans, wcast;

}  // namespace hwlab::isa::insns

// One micro-batch's ISA programs as the co-processors of a timed run see them
// (proposal.coprocessor.program: isa): the DISPATCH and COMBINE descriptors that isa/moe generates
// from the phase's routing and placement, each passed through its 64-byte encoding and the decoder,
// the routing tables they point at decoded from the memory image, and the state the programs'
// SIGNAL/WAIT counters and pulls share between GPUs during the phase.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulator/core/units.h"
#include "isa/moe/moe_programs.h"
#include "isa/routing_table.h"

namespace hwlab::emulator {

struct ProgramDescriptor {
  isa::Instruction insn;
  std::vector<isa::RoutingEntry> entries;  // the table it reads (DISPATCH, COMBINE)
};

// DISPATCH; WAIT  and  COMBINE final (direct-ib)  or
// COMBINE forward; COMBINE final (own node's rows); WAIT; COMBINE final (gathered sums) (forwarding).
struct GpuProgram {
  ProgramDescriptor dispatch;              // DISPATCH (then WAIT dispatch_counter == gpus)
  bool forward_stage = false;              // COMBINE stage=forward present (nvlink-forwarding)
  ProgramDescriptor combine_forward;
  ProgramDescriptor combine_final;         // COMBINE stage=final (before the WAIT, if any)
  ProgramDescriptor combine_gathered;      // COMBINE stage=final after WAIT combine_counter (forwarding)
  isa::Instruction dispatch_wait_insn, combine_wait_insn;  // the WAITs (value: every GPU signals once)
  uint64_t descriptors = 0;                // queue descriptors (QUEUE excluded)
};

// A counter every GPU adds 1 to (release) when its stage is through, and every GPU waits on
// (acquire): its value reaches the count at the latest release plus that signal's way.
struct SignalBarrier {
  std::vector<sc_time> release;  // [gpu]
  std::vector<char> released;    // [gpu]
  int count = 0;
  sc_core::sc_event all_released;
};

struct ProgramPhase {
  int gpus = 0, gpus_per_node = 0;
  uint64_t dispatch_row_bytes = 0, combine_row_bytes = 0;
  std::vector<GpuProgram> programs;  // [gpu]
  SignalBarrier dispatch_done, combine_forwarded;
  // The last byte each GPU's stage put anywhere (its release point): [gpu].
  std::vector<sc_time> dispatch_landed, forward_landed;
  // Expert outputs y of a GPU can be read once its combine starts (its experts are done).
  std::vector<char> outputs_ready;
  std::vector<sc_time> outputs_ready_at;
  sc_core::sc_event outputs_event;
  // Windows the co-processors cut from the tables that differ from the timing plan's (0 expected).
  int64_t plan_mismatches = 0;
  std::string first_mismatch;
};

// Fills `out` with the programs of `moe` for the timed run. Throws std::logic_error when a descriptor
// does not survive its encoding or a table entry does not decode (a generator bug, not user input).
void load_programs(const isa::moe::MoePrograms& moe, ProgramPhase& out);

}  // namespace hwlab::emulator

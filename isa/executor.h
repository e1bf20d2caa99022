// The functional executor: runs every command queue of a program over a shared sparse multi-GPU
// memory, deterministically.
//
// Scheduling: queues in ascending (node, GPU, queue) order take turns, one descriptor per turn (a
// macro-instruction's whole expansion is one turn). A WAIT whose condition does not hold leaves its
// queue where it is for that turn. When a full round makes no progress while some queue is
// unfinished, the run stops with a deadlock error naming every blocked queue, its instruction and
// what it waits for. Every descriptor completes before its queue's next one starts, which is the
// strongest ordering FENCE, release and acquire can ask for.
#pragma once

#include <cstdint>
#include <vector>

#include "isa/counters.h"
#include "isa/memory.h"
#include "isa/program.h"

namespace hwlab::isa {

struct ExecutorOptions {
  uint64_t max_steps = uint64_t{1} << 26;  // descriptors executed (expansions included) before giving up
};

class Executor {
 public:
  Executor(Memory& memory, std::vector<Window> windows, ExecutorOptions options = {});

  // Runs `program` to completion. Window violations, malformed routing tables, deadlocks and a
  // run longer than max_steps are UserErrors naming the queue and the instruction.
  void run(const Program& program);

  const Counters& counters() const { return counters_; }

 private:
  Memory& memory_;
  WindowTable windows_;
  ExecutorOptions options_;
  Counters counters_;
};

}  // namespace hwlab::isa

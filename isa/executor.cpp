#include "isa/executor.h"

#include <fmt/format.h>

#include "isa/disassembler.h"
#include "isa/exec_context.h"

namespace hwlab::isa {

Executor::Executor(Memory& memory, std::vector<Window> windows, ExecutorOptions options)
    : memory_(memory), windows_(std::move(windows)), options_(options) {}

void Executor::run(const Program& program) {
  std::vector<QueueState> queues;
  for (QueueProgram& q : split_queues(program)) {
    QueueState s;
    s.program = std::move(q);
    queues.push_back(std::move(s));
  }
  Machine machine{memory_, windows_, counters_};
  for (;;) {
    bool progress = false, unfinished = false;
    for (QueueState& q : queues) {
      if (q.finished()) continue;
      unfinished = true;
      const Instruction& insn = q.program.instructions[q.pc];
      ExecContext ctx(machine, q, insn);
      q.jumped = false;
      if (insn.spec->semantics->execute(ctx, insn) == StepResult::blocked) continue;
      q.blocked_on.clear();
      ++machine.counters.by_instruction[insn.spec->mnemonic].executed;
      if (++machine.counters.steps > options_.max_steps)
        ctx.fail(fmt::format("the run passed {} executed descriptors (a LOOP that never ends?)", options_.max_steps));
      if (!q.jumped) ++q.pc;
      progress = true;
    }
    if (!unfinished) break;
    if (!progress) {
      std::string first, list;
      for (const QueueState& q : queues) {
        if (q.finished()) continue;
        const Instruction& insn = q.program.instructions[q.pc];
        const std::string what = fmt::format("queue {} blocked at {} {} ({})", q.program.id.str(), insn.spec->mnemonic,
                                             format_operands(insn), q.blocked_on);
        if (first.empty()) first = describe_location(insn) + ": deadlock: no queue can make progress: " + what;
        list += "\n  " + describe_location(insn) + ": " + what;
      }
      throw UserError(first + list);
    }
  }
}

}  // namespace hwlab::isa

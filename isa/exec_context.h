// What an instruction's semantics see while it executes: the executing queue and its GPU, memory
// accesses checked against the queue's windows, byte counters, errors that name the queue and the
// instruction, macro expansion, and the queue's loop state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "isa/counters.h"
#include "isa/memory.h"
#include "isa/program.h"

namespace hwlab::isa {

struct QueueState {
  QueueProgram program;
  size_t pc = 0;                           // position in program.instructions
  bool jumped = false;                     // set by a taken LOOP
  std::map<int, uint64_t> loop_remaining;  // passes left, by LOOP descriptor index (absent: not started)
  std::string blocked_on;                  // why the last step blocked (for deadlock reports)
  bool finished() const { return pc >= program.instructions.size(); }
};

struct Machine {
  Memory& memory;
  const WindowTable& windows;
  Counters& counters;
};

class ExecContext {
 public:
  ExecContext(Machine& machine, QueueState& queue, const Instruction& insn, const ExecContext* parent = nullptr)
      : machine_(machine), queue_(queue), insn_(insn), parent_(parent) {}

  GpuId self() const { return queue_.program.id.gpu; }
  const QueueId& queue_id() const { return queue_.program.id; }
  const Instruction& instruction() const { return insn_; }

  // Fails unless [offset, offset + bytes) is inside the offset space and one of the queue's windows
  // with `access`.
  void check(GpuId gpu, uint64_t offset, uint64_t bytes, Access access) const;
  std::vector<uint8_t> load(GpuId gpu, uint64_t offset, uint64_t bytes) const;
  void store(GpuId gpu, uint64_t offset, const uint8_t* data, uint64_t bytes);
  void store(GpuId gpu, uint64_t offset, const std::vector<uint8_t>& data) {
    store(gpu, offset, data.data(), data.size());
  }
  // Checks both ends, then copies in bounded chunks (overlapping ranges copy as memmove would).
  void copy(GpuId from, uint64_t from_offset, GpuId to, uint64_t to_offset, uint64_t bytes);
  // A little-endian 64-bit counter; `access` is the permission the read needs (SIGNAL's
  // read-modify-write needs only a write window).
  uint64_t load_u64(GpuId gpu, uint64_t offset, Access access = kRead) const;
  void store_u64(GpuId gpu, uint64_t offset, uint64_t value);

  // Bytes that travel from `from` to `to`, counted for this instruction and its link class;
  // `plane` is the scale-out plane when the class is IB.
  void count(GpuId from, GpuId to, unsigned plane, uint64_t bytes) { add(from, to, plane, bytes, false); }
  void count_sync(GpuId from, GpuId to, unsigned plane, uint64_t bytes) { add(from, to, plane, bytes, true); }

  // "file:line:col: queue n0.g0.q0: WRITE dst=...: why" (with the macro that expanded it, if any).
  [[noreturn]] void fail(const std::string& why) const;

  // Macro expansion: validates and executes `primitive` now, within this instruction; it is counted
  // under its own mnemonic. A primitive that blocks is an error.
  void run_primitive(Instruction primitive);

  // LOOP support.
  int descriptor_index() const { return insn_.index; }
  void jump_to_descriptor(int index);
  std::map<int, uint64_t>& loop_remaining() { return queue_.loop_remaining; }
  void set_blocked_reason(std::string why) { queue_.blocked_on = std::move(why); }

 private:
  void add(GpuId from, GpuId to, unsigned plane, uint64_t bytes, bool sync);
  std::string context() const;

  Machine& machine_;
  QueueState& queue_;
  const Instruction& insn_;
  const ExecContext* parent_;
};

// "0x1000..0x1040 on n1.g0"
std::string describe_range(GpuId gpu, uint64_t offset, uint64_t bytes);

}  // namespace hwlab::isa

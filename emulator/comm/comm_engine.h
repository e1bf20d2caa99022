// One GPU's side of dispatch and combine: walks the phase plan and turns it into timed transfers,
// whatever does the work (SM channels or a co-processor: IssueModel). Sends interleave the
// destinations window by window, as a channelised kernel does. Arrivals are handled within the
// sender's call chain (loosely-timed): a forwarder forwards a window when its IB copy lands, and
// the last sum of a combine window to reach its forwarder triggers the reduction and the IB send back.
#pragma once

#include <cstdint>

#include "emulator/comm/issue_model.h"
#include "emulator/comm/phase_registry.h"
#include "emulator/core/transfer.h"

namespace hwlab::emulator {

class ProgramEngine;

// A combine reduction of `outputs` BF16 token rows, each the sum of `addends` rows (+ the receiver's
// FP32 accumulator when `accumulate`), from `bytes` of contributions.
ReduceWork combine_reduction(const PhasePlan& p, uint64_t bytes, int outputs, uint64_t addends, bool accumulate);

// A forwarder's node sums of window `window` of node stream `stream`, from `contributed_bytes` of its
// node's rows: the transfer of `kind` that takes them back to the stream's source over IB (combine_reduced,
// or combine_gathered for the ISA programs), and the reduction that makes them (BF16 out; a token has as
// many addends as GPUs of the node it went to, so the unit sees rows of about that many addends).
struct NodeSums {
  Transfer back;
  ReduceWork work;
};
NodeSums node_sums(const PhasePlan& p, TransferKind kind, int phase, int forwarder, int stream, int window,
                   uint64_t contributed_bytes);

// What the engine needs from the GPU module it belongs to.
class GpuPorts {
 public:
  virtual ~GpuPorts() = default;
  virtual int gpu_id() const = 0;
  // Sends a transfer whose first byte leaves at `head`; returns when its last byte is at `t.dst`.
  virtual sc_time send_nvlink(Transfer& t, const sc_time& head) = 0;
  virtual sc_time send_ib(Transfer& t, const sc_time& head) = 0;
  // `tokens` of phase `phase` (dispatch or combine) are in place at this GPU at `done`.
  virtual void record(int phase, bool combine, int64_t tokens, const sc_time& done) = 0;
  // The issuing thread's local time moved to `local` (temporal decoupling: may yield).
  virtual void advance(const sc_time& local) = 0;
  // The issuing thread catches up with `local` (before it blocks on an event).
  virtual void sync_to(const sc_time& local) = 0;
};

class CommEngine {
 public:
  CommEngine(GpuPorts& ports, IssueModel& issue, PhaseRegistry& registry);

  // Issues this GPU's sends of the phase from `start`; returns the local time after the last issue.
  sc_time dispatch(int phase, const sc_time& start);
  sc_time combine(int phase, const sc_time& start);
  // A transfer for this GPU whose last byte arrived at `done`.
  void on_arrival(Transfer& t, const sc_time& done);
  // ISA programs (proposal.coprocessor.program: isa): their arrivals go to `program`.
  void use_programs(ProgramEngine* program) { program_ = program; }

  IssueModel& issue_model() { return issue_; }

  // Sends one window; returns the local time at which its first byte left.
  // `from_queue`: part of this GPU's own send loop (see IssueModel::send).
  sc_time send(Transfer t, CommRole role, bool over_ib, const sc_time& ready, bool from_queue);
  // A read request (pull_request) whose answer of `data_bytes` this GPU's engines take in: the request
  // leaves when an engine is granted; returns that time.
  sc_time send_request(Transfer t, CommRole role, bool over_ib, uint64_t data_bytes, const sc_time& ready);

 private:
  // ISA programs: the last byte a program's stage put anywhere (its SIGNAL's release point).
  void note_landed(const Transfer& t, const sc_time& arrived);
  void answer(Transfer& request, const sc_time& done);
  void forward_window(const Transfer& arrived, const sc_time& done);
  void contribute(int phase, const Contribution& c, const sc_time& ready);

  GpuPorts& ports_;
  IssueModel& issue_;
  PhaseRegistry& registry_;
  ProgramEngine* program_ = nullptr;
};

}  // namespace hwlab::emulator

// A co-processor that runs the ISA programs of isa/moe in a timed run
// (proposal.coprocessor.program: isa), sizes only:
//  - DISPATCH: the table walker reads the routing table entry by entry and gathers the rows for
//    each destination (a GPU, or the forwarder of a remote node) into one DMA per `window_tokens`
//    rows, issued when the batch is full and at the end of the table; forwarders forward each
//    arriving batch over NVLink. Then SIGNAL to every GPU (release: once all of this GPU's bytes,
//    forwarded copies included, have landed); the WAIT on the counter ends the phase.
//  - COMBINE stage=forward (nvlink-forwarding): the forwarder walks its table by windows of a
//    source's tokens and reads the node peers' expert outputs those windows need (NVLink reads of
//    about window_tokens rows per holder, gathered over windows, once the holder's experts are
//    done); each window, once its rows are in, is reduced and written as one BF16 row per token
//    into the owner's gather rows over IB; SIGNAL.
//    COMBINE stage=final over the owner's own node's rows (NVLink reads, and with direct-ib every
//    remote GPU's rows over IB); then WAIT for every forwarder; COMBINE stage=final over the
//    gathered node sums. FP32 sums, one BF16 rounding per token after its last entry.
// Signals carry no bytes: each takes its path's latency (NVLink; NIC, switch hops and the in-node
// relay of another plane). Every batch cut from a table is checked against the timing plan's
// window (tokens, masks, contributors): differences are counted, not hidden.
#pragma once

#include <functional>
#include <vector>

#include "emulator/comm/comm_engine.h"
#include "emulator/comm/program_phase.h"

namespace hwlab::emulator {

// A read request is one descriptor-sized message on the link.
inline constexpr uint64_t kReadRequestBytes = 64;

class ProgramEngine {
 public:
  using SignalLatency = std::function<sc_time(int src, int dst)>;
  ProgramEngine(GpuPorts& ports, IssueModel& issue, PhaseRegistry& registry, CommEngine& comm, SignalLatency latency);

  // DISPATCH from `start`; returns the local time after its last issue (the signals are out).
  sc_time dispatch(int phase, const sc_time& start);
  // WAIT dispatch_counter: blocks until every GPU's signal is in; returns when the last arrives.
  sc_time wait_dispatch(int phase, const sc_time& local);
  // [COMBINE forward; COMBINE final; WAIT;] COMBINE final from `start` (blocks in the WAIT and on
  // peers' expert outputs); returns the local time after its last issue.
  sc_time combine(int phase, const sc_time& start);
  // Until that combine's last sum is rounded (a cycle-level reduce unit finishes after the issue);
  // returns that time.
  sc_time wait_combine(const sc_time& local);
  // pull_data and combine_gathered for this GPU.
  void on_arrival(Transfer& t, const sc_time& done);
  // Time this GPU spent in its programs' WAITs past its own release (the barrier's cost), summed over
  // phases: [0] dispatch_counter, [1] combine_counter.
  const sc_time& waited(int counter) const { return waited_[counter]; }

 private:
  void record_mismatch(ProgramPhase& pp, const std::string& what);
  sc_time wait_outputs(ProgramPhase& pp, int holder, const sc_time& local);
  void signal(SignalBarrier& b, const sc_time& release);
  // Returns when the last signal arrives, at least `local`; counts the time past `own` as waited.
  sc_time wait_signals(SignalBarrier& b, int expected, const sc_time& local, int counter);
  sc_time pull(int phase, int holder, int rows, int stage, int stream, int window, const sc_time& ready);
  sc_time forward_stage(int phase, const sc_time& start);
  sc_time final_stage(int phase, const ProgramDescriptor& c, int k, const sc_time& start);
  void finish_join(int phase, int stream, int window);
  // Reductions finish at once (TLM) or later from the reduce unit's thread (RTL): the forward stage
  // signals, and each final descriptor rounds, once its walk is through and its reductions are in.
  void forward_progress();
  void final_progress(int k);

  GpuPorts& ports_;
  IssueModel& issue_;
  PhaseRegistry& registry_;
  CommEngine& comm_;
  SignalLatency latency_;
  // Forward stage: what each read in flight carries, rows of which plan windows (indexed by the read's
  // Transfer::window; reads complete within this GPU's walk, so the list lives for one stage).
  struct ReadPart {
    int stream = 0, window = 0, rows = 0;
  };
  std::vector<std::vector<ReadPart>> reads_;
  // The combine in progress on this GPU (one at a time: its own WAIT holds it until its forward stage
  // has signalled).
  struct FinalDescriptor {
    int pending = 0;  // reductions issued, not finished
    bool walked = false, finished = false;
    int64_t outputs = 0;  // tokens whose last entry is in it
  };
  struct CombineState {
    int phase = -1;
    int forward_pending = 0;
    bool forward_walked = false, forward_signalled = false;
    sc_time forward_local;
    FinalDescriptor finals[2];
    int final_count = 0;
    int64_t rows_received = 0;  // sums from other GPUs, recorded when the last rounding is done
    sc_time sums, done;
    bool finished = false;
  } cs_;
  sc_core::sc_event combine_finished_;
  sc_time waited_[2] = {sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME};  // final stage: the last sum of a pulled batch (arrivals come in this GPU's call chain)
};

}  // namespace hwlab::emulator

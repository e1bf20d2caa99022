// The co-processor's blocks as RTL, cycle by cycle (proposal `coprocessor.model: rtl`): the Verilated
// SystemC models of the descriptor decoder and the streaming reduce unit (rtl/coproc) run inside the
// cluster simulation, on their own gated clock of `coprocessor.clock_GHz`.
//
//  - Every descriptor the GPU's command stream issues (one per queued send) is encoded with the ISA
//    (a WRITE of the transfer's bytes to its destination GPU) and decoded by the RTL decoder before
//    its DMA can start: 1 + RtlDescDecoder::kLatency cycles in the issuing thread. Each verdict is
//    compared with isa::decode. With `program: isa` the descriptors are the programs' own
//    (DISPATCH, WAIT, COMBINE), decoded as each starts; the DMAs their table walkers issue are not
//    descriptors.
//  - Every reduction (a combine window summed into the receiver's FP32 accumulator, a forwarder's
//    sum of its node's contributions) is a job for the reduce unit: jobs wait in arrival order and
//    run one at a time, streamed through the RTL; the continuation runs when the RTL has produced
//    the sums. The unit has `units` identical 4-lane slices working on equal column ranges in lock
//    step (units = ceil(reduce_GBps / (4 lanes x 2 B x clock)), so the RTL's BF16 input rate matches
//    the TLM model's reduce_GBps); one slice is simulated, the others take the same cycles by
//    construction (the RTL's cycles depend on the shape only). The slice's addends are seeded
//    pseudo-random rows, and its sums are checked against isa::reduce_row bit for bit.
// Timing mode moves no payload, hence the seeded rows; functional mode checks the real bytes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <systemc>

#include "common/config/proposal.h"
#include "isa/table.h"
#include "emulator/core/transfer.h"
#include "emulator/core/units.h"

namespace hwlab::emulator {

// One reduction, as the combine moves it: `outputs` rows of `cols_per_row` elements, each the sum of
// `addends` rows (BF16 contributions, and the FP32 accumulator first when `accumulate`).
struct ReduceWork {
  uint64_t bytes = 0;  // the contributions' bytes (what the TLM model charges reduce_GBps for)
  uint64_t outputs = 0;
  uint64_t cols_per_row = 0;
  uint64_t addends = 1;
  bool accumulate = false;  // into an FP32 accumulator (the receiver's combine); else BF16 out
};

struct CoprocessorRtlStats {
  uint64_t descriptors = 0, decoder_mismatches = 0;
  uint64_t reduce_jobs = 0, reduce_cycles = 0, reduce_elements_checked = 0, reduce_wrong_elements = 0;
  uint64_t decode_cycles = 0;

  CoprocessorRtlStats& operator+=(const CoprocessorRtlStats& o) {
    descriptors += o.descriptors;
    decoder_mismatches += o.decoder_mismatches;
    decode_cycles += o.decode_cycles;
    reduce_jobs += o.reduce_jobs;
    reduce_cycles += o.reduce_cycles;
    reduce_elements_checked += o.reduce_elements_checked;
    reduce_wrong_elements += o.reduce_wrong_elements;
    return *this;
  }
};

// Whether this build has the RTL models (Verilator found, HWLAB_RTL on).
bool coprocessor_rtl_available();

class CoprocessorRtl : public sc_core::sc_module {
 public:
  CoprocessorRtl(sc_core::sc_module_name name, const config::CoprocessorSpec& spec, uint64_t seed);
  ~CoprocessorRtl() override;

  // Decodes the descriptor of a queued send through the RTL; call from an SC_THREAD (it waits the
  // cycles). Returns when the DMA can start.
  sc_time decode(const Transfer& t, int gpus_per_node);
  // Decodes a program's descriptor (ISA programs: DISPATCH, WAIT, COMBINE) through the RTL, as above.
  sc_time decode(const isa::Instruction& insn);
  // Queues a reduction whose last input arrives at `arrival`; `then(done)` runs from this module's
  // thread once the RTL has the sums (at once-returning models call it before returning instead).
  void reduce(const ReduceWork& work, const sc_time& arrival, std::function<void(const sc_time&)> then);

  int units() const { return units_; }
  const CoprocessorRtlStats& stats() const { return stats_; }
  sc_time period() const { return period_; }

 private:
  struct Job {
    ReduceWork work;
    sc_time arrival;
    uint64_t order = 0;  // ties in arrival: first queued first
    std::function<void(const sc_time&)> then;
  };
  void serve_jobs();  // SC_THREAD
  uint64_t run_slice(const ReduceWork& w);

  sc_time period_;
  int units_;
  struct Blocks;  // the RTL models (coproc_rtl.cpp)
  std::unique_ptr<Blocks> blocks_;
  std::deque<Job> jobs_;  // kept in (arrival, order) order
  uint64_t queued_ = 0;
  sc_core::sc_event job_added_;
  std::mt19937_64 rng_;
  CoprocessorRtlStats stats_;
};

}  // namespace hwlab::emulator

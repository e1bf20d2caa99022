// RtlReduceUnit: the Verilated RTL of the co-processor's streaming reduce unit
// (rtl/coproc/hwlab_reduce_unit.sv) as a SystemC module with its own clock, for the emulator's
// co-processor. reduce() streams the addend rows through the RTL cycle by cycle and returns the
// sums, bit for bit those of isa's REDUCE, with the clock cycles they took; the calling SC_THREAD
// waits that long in simulated time.
//
//   RtlReduceUnit unit("reduce_rtl", sc_core::sc_time(1, sc_core::SC_NS));
//   // in an SC_THREAD:
//   ReduceOutcome r = unit.reduce({{Dtype::bf16, row_a}, {Dtype::bf16, row_b}}, cols, Dtype::fp32);
//
// Timing: one beat of kLanes elements of one addend per cycle, so a call with K addends of `cols`
// elements takes cycles_for(cols, K) = ceil(cols / kLanes) * K + kPipelineDepth cycles; timing-only
// models can use cycles_for without running the RTL.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "isa/operands.h"

namespace hwlab::rtl {

// One addend: a row of `cols` elements of `type` (fp32 or bf16) in memory layout, little-endian.
struct ReduceAddend {
  isa::Dtype type = isa::Dtype::fp32;
  const uint8_t* row = nullptr;
};

struct ReduceOutcome {
  std::vector<uint8_t> row;  // the sums as a row of the destination type (isa::row_bytes(dtype, cols))
  uint64_t cycles = 0;       // clock edges from the first beat offered to the last sum taken
};

class RtlReduceUnit : public sc_core::sc_module {
 public:
  static constexpr unsigned kLanes = 4;          // elements per beat (the RTL's LANES)
  static constexpr unsigned kPipelineDepth = 3;  // input register, accumulator, output register

  RtlReduceUnit(sc_core::sc_module_name name, sc_core::sc_time clock_period);
  ~RtlReduceUnit() override;

  // Sums element i of every addend in the order given (REDUCE's order: the destination first when
  // accumulating, then the sources in ascending GPU order) and stores the sums as `dtype` (fp32 or
  // bf16). Call from an SC_THREAD, one call at a time; it returns after the cycles it reports.
  ReduceOutcome reduce(const std::vector<ReduceAddend>& addends, uint64_t cols, isa::Dtype dtype);

  static uint64_t cycles_for(uint64_t cols, uint64_t addends) {
    return (cols + kLanes - 1) / kLanes * addends + kPipelineDepth;
  }

  sc_core::sc_time clock_period() const;

 private:
  void reset_sequence();  // SC_THREAD: holds the RTL in reset for its first two cycles; a call made
                          // before then waits for the reset first (not counted in its cycles)

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwlab::rtl

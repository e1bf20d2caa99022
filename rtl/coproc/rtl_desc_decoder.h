// RtlDescDecoder: the Verilated RTL of the co-processor's descriptor decoder
// (rtl/coproc/hwlab_desc_decoder.sv) as a SystemC module with its own clock, for the emulator's
// co-processor. decode() drives descriptors through the RTL and returns what it decoded -- the same
// accept/reject, reason, field and bit as isa::decode -- with the cycles it took; the calling
// SC_THREAD waits that long in simulated time.
//
//   RtlDescDecoder decoder("decoder_rtl", sc_core::sc_time(1, sc_core::SC_NS));
//   // in an SC_THREAD:
//   RtlDecoded d = decoder.decode(descriptor);   // 1 + kLatency cycles
//   std::vector<RtlDecoded> all = decoder.decode_stream(queue);  // one per cycle, + kLatency
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "isa/encoding.h"

namespace hwlab::rtl {

struct RtlDecoded {
  uint8_t opcode = 0;
  isa::Reject reason = isa::Reject::none;
  int field = -1;                                  // as isa::DecodeResult::field
  int bit = -1;                                    // as isa::DecodeResult::bit
  unsigned field_count = 0;                        // fields of the opcode's row (0: unknown opcode)
  std::array<uint64_t, isa::kMaxFields> fields{};  // in the row's order, as Instruction::values
  uint64_t cycles = 0;  // clock edges from the call's first offer to this result being taken
  bool ok() const { return reason == isa::Reject::none; }
};

class RtlDescDecoder : public sc_core::sc_module {
 public:
  static constexpr unsigned kLatency = 1;  // one register stage: result the cycle after acceptance

  RtlDescDecoder(sc_core::sc_module_name name, sc_core::sc_time clock_period);
  ~RtlDescDecoder() override;

  // Call from an SC_THREAD, one call at a time.
  RtlDecoded decode(const isa::Descriptor& descriptor);
  // Back to back, one descriptor per cycle: n descriptors take n + kLatency cycles (in *cycles).
  std::vector<RtlDecoded> decode_stream(const std::vector<isa::Descriptor>& descriptors, uint64_t* cycles = nullptr);

  sc_core::sc_time clock_period() const;

 private:
  void reset_sequence();  // SC_THREAD: holds the RTL in reset for its first two cycles; a call made
                          // before then waits for the reset first (not counted in its cycles)

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwlab::rtl

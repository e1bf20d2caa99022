// Cycle-level C++ interface to the Verilated models of the FP8 dot-product-accumulate unit
// (rtl/fp8_dpa, library hwlab_rtl_fp8_dpa): one class for every variant, so that test benches and
// the emulator need no Verilator headers. A cycle: drive() the inputs (the combinational outputs
// settle), read in_ready()/out_valid()/out_d(), then clock() one rising edge.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hwlab::rtl {

struct Fp8DpaInput {
  bool e5m2 = false;         // operand format: E4M3 (false) or E5M2
  uint8_t a[32] = {};        // codes a_0 .. a_{N-1} (N = products of the variant)
  uint8_t b[32] = {};
  uint32_t c = 0;            // FP32 bits of C
  uint8_t scale_a = 127;     // UE8M0 group scales (scaled variants; 127 = 1.0)
  uint8_t scale_b = 127;
};

class Fp8DpaSim {
 public:
  virtual ~Fp8DpaSim() = default;
  // rst_n low for two clock edges, all valids low.
  virtual void reset() = 0;
  // The inputs for the coming edge; evaluates the combinational logic.
  virtual void drive(bool in_valid, const Fp8DpaInput& in, bool out_ready) = 0;
  virtual bool in_ready() const = 0;
  virtual bool out_valid() const = 0;
  virtual uint32_t out_d() const = 0;
  // One rising clock edge.
  virtual void clock() = 0;
  virtual uint64_t cycles() const = 0;
};

// The model of variant `name` (kFp8DpaVariants in fp8_dpa_variants.h); nullptr for an unknown name.
// With a non-empty trace_path every signal is dumped to that FST file from construction on; that
// needs the traced library (hwlab_rtl_fp8_dpa_traced): tracing_available() says whether this one is.
std::unique_ptr<Fp8DpaSim> make_fp8_dpa_sim(std::string_view name, const std::string& trace_path = {});
bool tracing_available();

}  // namespace hwlab::rtl

// GatedClock: the clock of a Verilated block that ticks only while someone needs it. An
// sc_core::sc_clock toggles for the whole simulation; the emulator holds two RTL blocks per GPU,
// and a free-running clock each would make the kernel step every block every cycle of a run that
// is mostly idle. This one rests high (as an sc_clock is just after a rising edge) and, while
// started, runs full periods from where it is: low after half a period, a rising edge after a
// whole one. A caller that starts it at a rising edge sees its next rising edge one period later,
// as with a free-running clock.
//
//   GatedClock clk("clk", period);   rtl.clk(clk.signal());
//   clk.start(); ... wait(clk.posedge_event()) per cycle ... clk.stop();
#pragma once

#include <systemc>

namespace hwlab::rtl {

class GatedClock : public sc_core::sc_module {
 public:
  GatedClock(sc_core::sc_module_name name, sc_core::sc_time period) : sc_core::sc_module(name), period_(period) {
    SC_HAS_PROCESS(GatedClock);
    SC_THREAD(drive);
  }

  sc_core::sc_signal<bool>& signal() { return clk_; }
  const sc_core::sc_event& posedge_event() const { return clk_.posedge_event(); }
  const sc_core::sc_event& negedge_event() const { return clk_.negedge_event(); }
  sc_core::sc_time period() const { return period_; }

  // Nested users count: the clock runs while any of them needs it.
  void start() {
    if (users_++ == 0) wake_.notify(sc_core::SC_ZERO_TIME);
  }
  void stop() { --users_; }

 private:
  void drive() {
    clk_.write(true);
    for (;;) {
      while (users_ == 0) wait(wake_);
      wait(period_ / 2);
      clk_.write(false);
      wait(period_ / 2);
      clk_.write(true);
    }
  }

  sc_core::sc_time period_;
  sc_core::sc_signal<bool> clk_{"clk"};
  sc_core::sc_event wake_;
  int users_ = 0;
};

}  // namespace hwlab::rtl

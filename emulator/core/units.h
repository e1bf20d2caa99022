// Time and rate helpers: bytes and GB/s in, sc_time out. 1 GB/s = 1e9 bytes per second.
#pragma once

#include <cstdint>

#include <systemc>

namespace hwlab::emulator {

using sc_core::sc_time;

inline sc_time microseconds(double us) { return sc_time(us, sc_core::SC_US); }
inline sc_time seconds(double s) { return sc_time(s, sc_core::SC_SEC); }
inline double to_us(const sc_time& t) { return t.to_seconds() * 1e6; }
// Time to move `bytes` at `GBps`: seconds(bytes / (GBps * 1e9)). It runs on every hop of every
// transfer, so SystemC's out-of-line sc_time(double, SC_SEC), which computes ticks = (int64)(v *
// ticks per second + 0.5), is done inline with the same arithmetic and so the same result, bit for
// bit: one tick *= x sets ticks = (int64)(1.0 * x + 0.5), and 1.0 * x == x.
inline sc_time serialization(uint64_t bytes, double GBps) {
  static const double ticks_per_second = seconds(1.0).to_double();  // a power of 10: 1e12 at 1 ps
  static const sc_time one_tick = sc_time::from_value(1);
  sc_time t = one_tick;
  t *= ticks_per_second * (static_cast<double>(bytes) / (GBps * 1e9));
  return t;
}

}  // namespace hwlab::emulator

// Time and rate helpers: bytes and GB/s in, sc_time out. 1 GB/s = 1e9 bytes per second.
#pragma once

#include <cstdint>

#include <systemc>

namespace hwlab::emulator {

using sc_core::sc_time;

inline sc_time microseconds(double us) { return sc_time(us, sc_core::SC_US); }
inline sc_time seconds(double s) { return sc_time(s, sc_core::SC_SEC); }
inline double to_us(const sc_time& t) { return t.to_seconds() * 1e6; }
// Time to move `bytes` at `GBps`.
inline sc_time serialization(uint64_t bytes, double GBps) { return seconds(static_cast<double>(bytes) / (GBps * 1e9)); }

}  // namespace hwlab::emulator

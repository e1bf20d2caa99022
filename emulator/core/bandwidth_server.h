// A resource that moves bytes at a fixed rate: one direction of a link, a NIC port, a DMA engine,
// the SMs of one communication role. Loosely-timed reservation: a transfer needs bytes / rate of the
// server's time from its arrival on, so contention at a shared port or a receiver shows up as
// queueing delay without an event per byte. Reservations arrive out of time order under temporal
// decoupling (a call chain may book a receiver for the future before another books it for earlier),
// so the server keeps a calendar of busy intervals. A transfer takes the free time after its arrival
// wherever it is, in pieces if need be (a chunk is many packets, and a port interleaves packets of
// different transfers), so the server stays work-conserving whatever order bookings come in.
// Intervals that end before the current simulated time are dropped: no request arrives in the past.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "emulator/core/units.h"

namespace hwlab::emulator {

struct ServerStats {
  uint64_t bytes = 0;
  uint64_t transfers = 0;
  sc_time busy = sc_core::SC_ZERO_TIME;         // total occupancy
  sc_time queued = sc_core::SC_ZERO_TIME;       // total time transfers waited for the server
  sc_time max_queued = sc_core::SC_ZERO_TIME;
};

class BandwidthServer {
 public:
  BandwidthServer() = default;
  BandwidthServer(std::string name, double GBps);

  struct Grant {
    sc_time start;  // when the first byte goes
    sc_time done;   // when the last byte has gone
  };
  // Serves `bytes` whose head arrives at `arrival`. Cut-through: when the bytes come from an upstream
  // hop that finishes at `not_before`, they cannot all pass before then, so the occupancy is placed
  // to end no earlier than `not_before`. `overhead` is extra occupancy per transfer (e.g. per-chunk
  // signalling of a communication role).
  Grant serve(const sc_time& arrival, uint64_t bytes, const sc_time& not_before = sc_core::SC_ZERO_TIME,
              const sc_time& overhead = sc_core::SC_ZERO_TIME);

  // When a transfer of `bytes` arriving at `arrival` would finish (without booking it).
  sc_time earliest_done(const sc_time& arrival, uint64_t bytes);

  // A failed or degraded server (fault injection): rate multiplied by `factor` (0 = down).
  void degrade(double factor);
  bool down() const { return GBps_ <= 0; }

  const std::string& name() const { return name_; }
  double GBps() const { return GBps_; }
  const ServerStats& stats() const { return stats_; }
  // End of the last reservation.
  sc_time free_at() const;

 private:
  std::string name_;
  double GBps_ = 0;
  // Where `length` of service starting no earlier than t would go: first and end of the free time.
  struct Fill {
    sc_time first, end;
  };
  Fill fill(sc_time t, sc_time length, bool book);
  void book(const sc_time& from, const sc_time& to);

  std::map<sc_time, sc_time> busy_;  // start -> end, disjoint, merged when adjacent
  ServerStats stats_;
};

}  // namespace hwlab::emulator

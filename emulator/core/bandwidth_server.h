// A resource that moves bytes at a fixed rate: one direction of a link, a NIC port, a DMA engine,
// the SMs of one communication role. Loosely-timed reservation: a transfer needs bytes / rate of the
// server's time from its arrival on, so contention at a shared port or a receiver shows up as
// queueing delay without an event per byte. Reservations arrive out of time order under temporal
// decoupling (a call chain may book a receiver for the future before another books it for earlier),
// so the server keeps a calendar of busy intervals. A transfer takes the free time after its arrival
// wherever it is, in pieces if need be (a chunk is many packets, and a port interleaves packets of
// different transfers), so the server stays work-conserving whatever order bookings come in.
// Intervals that end before the current simulated time are dropped: no request arrives in the past.
// The calendar is a sorted array (bookings mostly come in time order, so the common case appends to
// or extends the last interval, without allocating).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  sc_time free_at() const { return head_ == busy_.size() ? sc_core::SC_ZERO_TIME : busy_.back().end; }

 private:
  double GBps_ = 0;
  std::string name_;
  // Where `length` of service starting no earlier than t would go: first and end of the free time.
  struct Fill {
    sc_time first, end;
  };
  struct Interval {
    sc_time start, end;
  };
  // A piece of free time a booking takes, in the gap before busy_[gap] (busy_.size(): after the last).
  struct Piece {
    size_t gap;
    Interval time;
  };
  Fill fill(sc_time t, sc_time length, bool book);
  void book(const std::vector<Piece>& pieces);
  void forget_before(const sc_time& now);

  // Busy intervals busy_[head_..]: ascending, disjoint, merged when adjacent. The forgotten past
  // busy_[0, head_) is dropped in bulk now and then. A flat array: calendars hold at most a few
  // thousand intervals (an all-to-all over thousands of GPUs books each receiver that far ahead),
  // where moving the tail on an insertion costs less than the cache misses of a tree.
  std::vector<Interval> busy_;
  size_t head_ = 0;
  // busy_[head_].end (the largest time when there is nothing left): a server is touched once per
  // hop of every transfer, and this spares most of them a look at the start of the calendar.
  sc_time front_end_ = sc_core::sc_max_time();
  std::vector<Piece> pieces_;  // scratch of fill(), kept to avoid an allocation per booking
  ServerStats stats_;
};

}  // namespace hwlab::emulator

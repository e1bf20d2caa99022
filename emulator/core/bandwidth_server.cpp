#include "emulator/core/bandwidth_server.h"

#include <algorithm>
#include <stdexcept>

namespace hwlab::emulator {

BandwidthServer::BandwidthServer(std::string name, double GBps) : name_(std::move(name)), GBps_(GBps) {}

sc_time BandwidthServer::free_at() const { return busy_.empty() ? sc_core::SC_ZERO_TIME : busy_.rbegin()->second; }

BandwidthServer::Grant BandwidthServer::serve(const sc_time& arrival, uint64_t bytes, const sc_time& not_before,
                                              const sc_time& overhead) {
  if (GBps_ <= 0) throw std::logic_error("transfer over a server that is down: " + name_);
  // Forget the past: nothing can be booked before the current simulated time.
  const sc_time now = sc_core::sc_time_stamp();
  while (!busy_.empty() && busy_.begin()->second <= now) busy_.erase(busy_.begin());

  const sc_time length = serialization(bytes, GBps_) + overhead;
  const sc_time start =
      find_gap(std::max(arrival, not_before > length ? not_before - length : sc_core::SC_ZERO_TIME), length);
  const sc_time end = start + length;
  // Book [start, end), merging with touching neighbours to keep the calendar short.
  sc_time book_start = start, book_end = end;
  auto next = busy_.lower_bound(start);
  if (next != busy_.begin()) {
    auto prev = std::prev(next);
    if (prev->second == start) {
      book_start = prev->first;
      busy_.erase(prev);
    }
  }
  next = busy_.find(end);
  if (next != busy_.end()) {
    book_end = next->second;
    busy_.erase(next);
  }
  busy_[book_start] = book_end;

  const sc_time waited = start - arrival;
  stats_.bytes += bytes;
  ++stats_.transfers;
  stats_.busy += length;
  stats_.queued += waited;
  stats_.max_queued = std::max(stats_.max_queued, waited);
  return {start, end};
}

sc_time BandwidthServer::find_gap(sc_time t, const sc_time& length) const {
  auto it = busy_.upper_bound(t);
  if (it != busy_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > t) t = prev->second;
  }
  // A calendar fragmented by out-of-order bookings can have long runs of gaps too small to use;
  // after a bounded search the transfer goes after the last booking (a small loss of accuracy,
  // never of conservation).
  constexpr int kMaxProbes = 512;
  for (int probes = 0; it != busy_.end() && it->first < t + length; ++it, ++probes) {
    if (probes == kMaxProbes) return std::max(t, busy_.rbegin()->second);
    t = std::max(t, it->second);
  }
  return t;
}

sc_time BandwidthServer::earliest_start(const sc_time& arrival, uint64_t bytes) const {
  return find_gap(arrival, serialization(bytes, GBps_));
}

void BandwidthServer::degrade(double factor) { GBps_ *= factor; }

}  // namespace hwlab::emulator

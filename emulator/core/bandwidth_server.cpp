#include "emulator/core/bandwidth_server.h"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

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
  // Cut-through: the bytes cannot all pass before the upstream hop delivered them.
  const sc_time earliest = std::max(arrival, not_before > length ? not_before - length : sc_core::SC_ZERO_TIME);
  const Fill f = fill(earliest, length, true);
  const sc_time waited = f.first - arrival;
  stats_.bytes += bytes;
  ++stats_.transfers;
  stats_.busy += length;
  stats_.queued += waited;
  stats_.max_queued = std::max(stats_.max_queued, waited);
  return {f.first, f.end};
}

BandwidthServer::Fill BandwidthServer::fill(sc_time t, sc_time length, bool do_book) {
  // Free time from t on, collected piece by piece; pieces are booked after the walk so that merging
  // intervals cannot invalidate the iterator.
  std::vector<std::pair<sc_time, sc_time>> pieces;
  auto it = busy_.upper_bound(t);
  if (it != busy_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > t) t = prev->second;
  }
  // A calendar fragmented by many out-of-order bookings is walked only so far; the rest of the
  // transfer goes after the last booking (a small loss of accuracy, never of conservation).
  constexpr int kMaxPieces = 512;
  while (length > sc_core::SC_ZERO_TIME) {
    const bool open_end = it == busy_.end() || static_cast<int>(pieces.size()) == kMaxPieces;
    if (open_end && it != busy_.end()) t = std::max(t, busy_.rbegin()->second);
    const sc_time gap_end = open_end ? t + length : it->first;
    if (gap_end > t) {
      const sc_time take = std::min(length, gap_end - t);
      pieces.emplace_back(t, t + take);
      length -= take;
      t += take;
    }
    if (open_end) break;
    t = std::max(t, it->second);
    ++it;
  }
  if (do_book)
    for (const auto& [a, b] : pieces) book(a, b);
  return {pieces.front().first, pieces.back().second};
}

void BandwidthServer::book(const sc_time& from, const sc_time& to) {
  sc_time a = from, b = to;
  auto next = busy_.lower_bound(a);
  if (next != busy_.begin()) {
    auto prev = std::prev(next);
    if (prev->second == a) {
      a = prev->first;
      busy_.erase(prev);
    }
  }
  next = busy_.find(b);
  if (next != busy_.end()) {
    b = next->second;
    busy_.erase(next);
  }
  busy_[a] = b;
}

sc_time BandwidthServer::earliest_done(const sc_time& arrival, uint64_t bytes) {
  return fill(arrival, serialization(bytes, GBps_), false).end;
}

void BandwidthServer::degrade(double factor) { GBps_ *= factor; }

}  // namespace hwlab::emulator

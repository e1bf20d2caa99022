#include "emulator/core/bandwidth_server.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hwlab::emulator {

BandwidthServer::BandwidthServer(std::string name, double GBps) : GBps_(GBps), name_(std::move(name)) {}

void BandwidthServer::forget_before(const sc_time& now) {
  if (now < front_end_) return;  // nothing has ended yet
  // Ends ascend: a few steps, then a binary search over the rest (a server idle for a while has
  // many intervals to forget at once).
  for (int step = 0; head_ < busy_.size() && busy_[head_].end <= now; ++head_) {
    if (++step == 8) {
      head_ = static_cast<size_t>(std::partition_point(busy_.begin() + static_cast<std::ptrdiff_t>(head_), busy_.end(),
                                                       [&now](const Interval& b) { return b.end <= now; }) -
                                  busy_.begin());
      break;
    }
  }
  // Drop the forgotten intervals once they are the larger part of the array (amortised O(1)).
  if (head_ == busy_.size()) {
    busy_.clear();
    head_ = 0;
  } else if (head_ >= 32 && head_ * 2 >= busy_.size()) {
    busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  front_end_ = busy_.empty() ? sc_core::sc_max_time() : busy_[head_].end;
}

BandwidthServer::Grant BandwidthServer::serve(const sc_time& arrival, uint64_t bytes, const sc_time& not_before,
                                              const sc_time& overhead) {
  if (GBps_ <= 0) throw std::logic_error("transfer over a server that is down: " + name_);
  // Forget the past: nothing can be booked before the current simulated time.
  forget_before(sc_core::sc_time_stamp());

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
  if (length == sc_core::SC_ZERO_TIME) return {t, t};
  // Fast path, the common case: the transfer comes after every booking.
  if (head_ == busy_.size() || t >= busy_.back().end) {
    if (do_book) {
      if (head_ < busy_.size() && busy_.back().end == t) busy_.back().end = t + length;
      else busy_.push_back({t, t + length});
      if (busy_.size() - head_ == 1) front_end_ = t + length;
    }
    return {t, t + length};
  }
  // Free time from t on, collected piece by piece; pieces are booked after the walk.
  size_t i = static_cast<size_t>(
      std::upper_bound(busy_.begin() + static_cast<std::ptrdiff_t>(head_), busy_.end(), t,
                       [](const sc_time& x, const Interval& b) { return x < b.start; }) -
      busy_.begin());
  if (i > head_ && busy_[i - 1].end > t) t = busy_[i - 1].end;
  // A calendar fragmented by many out-of-order bookings is walked only so far; the rest of the
  // transfer goes after the last booking (a small loss of accuracy, never of conservation).
  constexpr size_t kMaxPieces = 512;
  const size_t n = busy_.size();
  pieces_.clear();
  while (length > sc_core::SC_ZERO_TIME) {
    const bool open_end = i == n || pieces_.size() == kMaxPieces;
    if (open_end && i != n) t = std::max(t, busy_.back().end);
    const sc_time gap_end = open_end ? t + length : busy_[i].start;
    if (gap_end > t) {
      const sc_time take = std::min(length, gap_end - t);
      pieces_.push_back({open_end ? n : i, {t, t + take}});
      length -= take;
      t += take;
    }
    if (open_end) break;
    t = std::max(t, busy_[i].end);
    ++i;
  }
  const Fill f{pieces_.front().time.start, pieces_.back().time.end};
  if (do_book) book(pieces_);
  return f;
}

void BandwidthServer::book(const std::vector<Piece>& pieces) {
  // Each piece lies in a gap of its own; from the last gap back, so that earlier indices stay valid.
  for (auto p = pieces.rbegin(); p != pieces.rend(); ++p) {
    const size_t g = p->gap;
    const bool left = g > head_ && busy_[g - 1].end == p->time.start;
    const bool right = g < busy_.size() && busy_[g].start == p->time.end;
    if (left && right) {
      busy_[g - 1].end = busy_[g].end;
      busy_.erase(busy_.begin() + static_cast<std::ptrdiff_t>(g));
    } else if (left) {
      busy_[g - 1].end = p->time.end;
    } else if (right) {
      busy_[g].start = p->time.start;
    } else {
      busy_.insert(busy_.begin() + static_cast<std::ptrdiff_t>(g), p->time);
    }
  }
  front_end_ = busy_[head_].end;
}

sc_time BandwidthServer::earliest_done(const sc_time& arrival, uint64_t bytes) {
  return fill(arrival, serialization(bytes, GBps_), false).end;
}

void BandwidthServer::degrade(double factor) { GBps_ *= factor; }

}  // namespace hwlab::emulator

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <utility>
#include <vector>

#include "emulator/core/bandwidth_server.h"

using namespace hwlab::emulator;

namespace {
sc_time us(double v) { return microseconds(v); }
}  // namespace

TEST_CASE("a bandwidth server serialises transfers in arrival order", "[emulator][server]") {
  BandwidthServer s("link", 100.0);  // 100 GB/s: 100 kB take 1 us
  auto a = s.serve(us(0), 100'000);
  CHECK(a.start == us(0));
  CHECK(a.done == us(1));
  auto b = s.serve(us(0.5), 100'000);  // queues behind a
  CHECK(b.start == us(1));
  CHECK(b.done == us(2));
  auto c = s.serve(us(5), 50'000);  // idle server: starts on arrival
  CHECK(c.start == us(5));
  CHECK(c.done == us(5.5));
  CHECK(s.stats().transfers == 3);
  CHECK(s.stats().bytes == 250'000);
  CHECK(s.stats().busy == us(2.5));
  CHECK(s.stats().queued == us(0.5));
}

TEST_CASE("a booking made for the future leaves earlier free time usable", "[emulator][server]") {
  BandwidthServer s("rx", 100.0);
  auto late = s.serve(us(10), 100'000);  // booked first, for t = 10 us
  CHECK(late.start == us(10));
  auto early = s.serve(us(2), 100'000);  // fits before it
  CHECK(early.start == us(2));
  // Half fits in [9.5, 10), the rest after the late one: packets of two transfers interleave.
  auto squeezed = s.serve(us(9.5), 100'000);
  CHECK(squeezed.start == us(9.5));
  CHECK(squeezed.done == us(11.5));
  CHECK(s.free_at() == us(11.5));
  CHECK(s.stats().busy == us(3));  // work-conserving: three transfers' worth of time, no gap lost
}

TEST_CASE("cut-through: bytes cannot leave before the upstream hop delivered them", "[emulator][server]") {
  BandwidthServer fast("fast", 200.0);  // 100 kB in 0.5 us
  // The head arrives at 1 us but the upstream hop finishes only at 4 us: occupy [3.5, 4).
  auto g = fast.serve(us(1), 100'000, us(4));
  CHECK(g.start == us(3.5));
  CHECK(g.done == us(4));
  // The gap before it is still free.
  CHECK(fast.serve(us(1), 100'000).start == us(1));
}

TEST_CASE("per-transfer overhead adds occupancy; degrading a server slows it; a down server refuses", "[emulator][server]") {
  BandwidthServer s("sm", 100.0);
  auto g = s.serve(us(0), 100'000, us(0), us(0.25));
  CHECK(g.done == us(1.25));
  s.degrade(0.5);
  CHECK(s.serve(us(2), 100'000).done == us(4));
  s.degrade(0.0);
  CHECK(s.down());
  CHECK_THROWS_AS(s.serve(us(5), 1), std::logic_error);
}

namespace {

// The calendar as first written (a std::map of busy intervals, kept here as the reference): the
// work-conserving fill that the server's faster calendar must reproduce exactly.
class ReferenceCalendar {
 public:
  BandwidthServer::Grant book(sc_time t, sc_time length, bool do_book = true) {
    std::vector<std::pair<sc_time, sc_time>> pieces;
    auto it = busy_.upper_bound(t);
    if (it != busy_.begin() && std::prev(it)->second > t) t = std::prev(it)->second;
    while (length > sc_core::SC_ZERO_TIME) {
      const bool open_end = it == busy_.end() || pieces.size() == 512;
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
      for (auto [a, b] : pieces) {
        auto next = busy_.lower_bound(a);
        if (next != busy_.begin() && std::prev(next)->second == a) {
          a = std::prev(next)->first;
          busy_.erase(std::prev(next));
        }
        next = busy_.find(b);
        if (next != busy_.end()) {
          b = next->second;
          busy_.erase(next);
        }
        busy_[a] = b;
      }
    return {pieces.front().first, pieces.back().second};
  }
  size_t intervals() const { return busy_.size(); }

 private:
  std::map<sc_time, sc_time> busy_;
};

}  // namespace

TEST_CASE("the calendar books exactly as a plain ordered map of intervals would", "[emulator][server]") {
  // Random arrivals and sizes, in time order with jitter and far out of order, so that the calendar
  // grows to thousands of intervals (many blocks, splits, merges across blocks) and some bookings
  // fall into hundreds of gaps.
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    BandwidthServer s("rx", 40.0);  // 40 kB take 1 us
    ReferenceCalendar ref;
    for (int i = 0; i < 20000; ++i) {
      // About half the server's time over 10 ms: many intervals with gaps between them.
      const int mode = static_cast<int>(rng() % 3);
      double at_us = 0.5 * i;
      if (mode == 1) at_us += static_cast<double>(rng() % 1000) * 0.01;
      if (mode == 2) at_us = static_cast<double>(rng() % 1'000'000) * 0.01;
      // Now and then 40 us, and a few 2 ms bookings early on, which cross more gaps than the fill
      // walks (512) and go on after the last booking.
      const uint64_t bytes = i % 5000 == 4999 ? 80'000'000 : rng() % 500 == 0 ? 1'600'000 : 1 + rng() % 20'000;
      const sc_time length = serialization(bytes, 40.0);
      const auto probe = s.earliest_done(us(at_us), bytes);
      const auto want = ref.book(us(at_us), length);
      const auto got = s.serve(us(at_us), bytes);
      REQUIRE(got.start == want.start);
      REQUIRE(got.done == want.done);
      REQUIRE(probe == want.done);
    }
    CHECK(ref.intervals() > 1000);
    CHECK(s.free_at() > us(9000));
  }
}

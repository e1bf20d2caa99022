#include <catch2/catch.hpp>

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

// The executor: data movement and its link-class counters, SIGNAL/WAIT, windows, deadlocks, loops,
// scheduling order, and the routing tables of the macro-instructions.
#include <catch2/catch.hpp>

#include "isa/routing_table.h"
#include "tests/isa_core/isa_test_util.h"

using namespace hwlab;
using namespace hwlab::isa;
using namespace hwlab::isa::test;
using Catch::Matchers::Contains;

namespace {

const std::vector<GpuId> kFour = {g(0, 0), g(0, 1), g(1, 0), g(1, 1)};

std::string run_error(Memory& m, const std::string& text, std::vector<Window> windows) {
  try {
    run(m, text, std::move(windows));
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

uint64_t pair(const PairBytes& p, GpuId from, GpuId to) {
  const auto it = p.find({from, to});
  return it == p.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("READ and WRITE move bytes and count them by link class", "[isa][executor]") {
  Memory m;
  m.write(g(0, 0), 0x100, {1, 2, 3, 4, 5, 6, 7, 8});
  m.write(g(1, 1), 0x200, {9, 9});
  const Counters c = run(m,
                         "WRITE dst=p2.n1.g0:0x10, src=0x100, bytes=8\n"    // IB, plane 2
                         "WRITE dst=n0.g1:0x10, src=0x102, bytes=4\n"       // NVLink
                         "WRITE dst=n0.g0:0x104, src=0x100, bytes=6\n"      // local, overlapping: memmove
                         "READ dst=0x20, src=p5.n1.g1:0x200, bytes=2\n",    // IB, plane 5, pulled
                         grant_all({q(0, 0)}, kFour));
  CHECK(m.read(g(1, 0), 0x10, 8) == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(m.read(g(0, 1), 0x10, 4) == std::vector<uint8_t>{3, 4, 5, 6});
  CHECK(m.read(g(0, 0), 0x100, 10) == std::vector<uint8_t>{1, 2, 3, 4, 1, 2, 3, 4, 5, 6});
  CHECK(m.read(g(0, 0), 0x20, 2) == std::vector<uint8_t>{9, 9});
  CHECK(c.by_instruction.at("WRITE").executed == 3);
  CHECK(c.by_instruction.at("WRITE").bytes == std::array<uint64_t, 3>{6, 4, 8});
  CHECK(c.by_instruction.at("READ").bytes == std::array<uint64_t, 3>{0, 0, 2});
  CHECK(c.bytes == std::array<uint64_t, 3>{6, 4, 10});
  CHECK(c.ib_bytes_by_plane[2] == 8);
  CHECK(c.ib_bytes_by_plane[5] == 2);
  CHECK(pair(c.data_pairs[2], g(1, 1), g(0, 0)) == 2);  // READ counts from the source
  CHECK(c.steps == 4);
  CHECK_THAT(c.table(), Contains("WRITE                 3"));
}

TEST_CASE("MULTICAST copies to every GPU of the set; FORWARD crosses IB once", "[isa][executor]") {
  Memory m;
  m.write(g(0, 0), 0, {7, 7, 7, 7});
  const std::vector<GpuId> gpus = {g(0, 0), g(0, 1), g(0, 2), g(1, 0), g(1, 1), g(1, 2)};
  const Counters c = run(m,
                         "MULTICAST dsts=n0.g{0,1,2}, dst=0x40, src=0, bytes=4\n"
                         "FORWARD dsts=p1.n1.g{1,2}, via=0, dst=0x80, src=0, bytes=4\n"
                         "FORWARD dsts=p1.n1.g{0,2}, via=0, dst=0xc0, src=0, bytes=4\n",
                         grant_all({q(0, 0)}, gpus));
  for (const GpuId& x : {g(0, 0), g(0, 1), g(0, 2)}) CHECK(m.read(x, 0x40, 4) == std::vector<uint8_t>(4, 7));
  CHECK(m.read(g(1, 1), 0x80, 4) == std::vector<uint8_t>(4, 7));
  CHECK(m.read(g(1, 0), 0x80, 4) == std::vector<uint8_t>(4, 0));  // the relay stores nothing
  CHECK(m.read(g(1, 0), 0xc0, 4) == std::vector<uint8_t>(4, 7));
  CHECK(c.by_instruction.at("MULTICAST").bytes == std::array<uint64_t, 3>{4, 8, 0});
  // Two FORWARDs: one IB crossing each (to n1.g0), then NVLink n1.g0 -> g1, g2 and n1.g0 -> g2.
  CHECK(c.by_instruction.at("FORWARD").bytes == std::array<uint64_t, 3>{0, 12, 8});
  CHECK(pair(c.data_pairs[2], g(0, 0), g(1, 0)) == 8);
  CHECK(pair(c.data_pairs[1], g(1, 0), g(1, 2)) == 8);
  CHECK(pair(c.data_pairs[1], g(1, 0), g(1, 1)) == 4);
  CHECK(c.ib_bytes_by_plane[1] == 8);
}

TEST_CASE("SIGNAL and WAIT order two queues; a WAIT nobody can satisfy is a deadlock", "[isa][executor]") {
  Memory m;
  m.write(g(0, 0), 0x100, {42});
  const std::string program =
      "QUEUE n1.g0, 0\n"
      "  WAIT counter=0x8, cond=ge, value=2, order=acquire\n"
      "  READ dst=0x200, src=n1.g0:0x100, bytes=1\n"
      "QUEUE n0.g0, 0\n"
      "  WRITE dst=n1.g0:0x100, src=0x100, bytes=1\n"
      "  SIGNAL counter=n1.g0:0x8, op=add, value=1, order=release\n"
      "  SIGNAL counter=n1.g0:0x8, op=add, value=1, order=release\n";
  const Counters c = run(m, program, grant_all({q(0, 0), q(1, 0)}, kFour));
  CHECK(m.read(g(1, 0), 0x200, 1) == std::vector<uint8_t>{42});
  CHECK(m.read(g(1, 0), 0x8, 8) == std::vector<uint8_t>{2, 0, 0, 0, 0, 0, 0, 0});
  CHECK(c.by_instruction.at("SIGNAL").bytes == std::array<uint64_t, 3>{0, 0, 16});
  CHECK(pair(c.sync_pairs[2], g(0, 0), g(1, 0)) == 16);
  CHECK(pair(c.data_pairs[2], g(0, 0), g(1, 0)) == 1);  // synchronisation is kept apart from payload

  Memory m2;
  const std::string stuck =
      "QUEUE n1.g0, 0\n"
      "  WAIT counter=0x8, cond=eq, value=3, order=acquire\n"
      "QUEUE n0.g0, 1\n"
      "  SIGNAL counter=n1.g0:0x8, op=set, value=2, order=release\n";
  CHECK_THAT(run_error(m2, stuck, grant_all({q(0, 0, 1), q(1, 0)}, kFour)),
             Contains("test.s:2:3: deadlock: no queue can make progress: queue n1.g0.q0 blocked at WAIT "
                      "counter=0x8, cond=eq, value=3, order=acquire (counter n1.g0:0x8 holds 2, waits for == 3)"));
  Memory m3;
  CHECK_THAT(run_error(m3, "QUEUE n0.g0, 0\nWAIT 0, ge, 1, acquire\nQUEUE n0.g1, 0\nWAIT 0, ge, 1, acquire\n",
                       grant_all({q(0, 0), q(0, 1)}, kFour)),
             Contains("\n  test.s:4:1: queue n0.g1.q0 blocked at WAIT"));
}

TEST_CASE("queues run round-robin in (node, GPU, queue) order, one descriptor per turn", "[isa][executor]") {
  // Both queues SET the same counter; the interleaving decides the final value.
  Memory m;
  const std::string program =
      "QUEUE n0.g1, 0\n"
      "  SIGNAL n0.g0:0, set, 10, relaxed\n"
      "  SIGNAL n0.g0:0, set, 11, relaxed\n"
      "QUEUE n0.g0, 3\n"
      "  SIGNAL n0.g0:0, set, 20, relaxed\n"
      "  SIGNAL n0.g0:0, set, 21, relaxed\n"
      "  SIGNAL n0.g0:0, set, 22, relaxed\n";
  run(m, program, grant_all({q(0, 1), q(0, 0, 3)}, kFour));
  // Turns: n0.g0.q3 (20), n0.g1.q0 (10), q3 (21), q0 (11), q3 (22).
  CHECK(m.read(g(0, 0), 0, 1) == std::vector<uint8_t>{22});
}

TEST_CASE("every access outside the queue's windows is an error, not a crash", "[isa][executor]") {
  Memory m;
  std::vector<Window> w = {{q(0, 0), g(0, 0), 0x100, 0x100, kRead},
                           {q(0, 0), g(1, 0), 0x1000, 0x40, kWrite}};
  CHECK(run_error(m, "WRITE dst=n1.g0:0x1000, src=0x100, bytes=64\n", w) == "(no error)");
  CHECK_THAT(run_error(m, "WRITE dst=n1.g0:0x1001, src=0x100, bytes=64\n", w),
             Contains("test.s:1:1: queue n0.g0.q0: WRITE dst=p0.n1.g0:0x1001, src=0x100, bytes=64: writes "
                      "n1.g0:[0x1001, 0x1041) outside the queue's write windows"));
  CHECK_THAT(run_error(m, "WRITE dst=n1.g0:0x1000, src=0x1c1, bytes=64\n", w),
             Contains("reads n0.g0:[0x1c1, 0x201) outside the queue's read windows"));
  CHECK_THAT(run_error(m, "READ dst=0x100, src=n1.g0:0x1000, bytes=8\n", w), Contains("outside the queue's read"));
  CHECK_THAT(run_error(m, "WRITE dst=n1.g0:0xffffffffff, src=0x100, bytes=2\n", w),
             Contains("2 bytes at n1.g0:0xffffffffff pass the end of the 2^40-byte offset space"));
  CHECK_THAT(run_error(m, "QUEUE n0.g0, 1\nNOP\nWRITE dst=n1.g0:0x1000, src=0x100, bytes=1\n", w),
             Contains("test.s:3:1: queue n0.g0.q1:"));  // windows belong to one queue
  CHECK_THAT(run_error(m, "MULTICAST n1.g{0,1}, 0x1000, 0x100, 8\n", w), Contains("n1.g1:[0x1000, 0x1008)"));
  CHECK(m.read(g(1, 0), 0x1000, 8) == std::vector<uint8_t>(8, 0));  // the failed MULTICAST wrote nothing
  Memory small(8192);
  CHECK_THAT(run_error(small, "WRITE n0.g0:0, 0x100, 10000\n", grant_all({q(0, 0)}, kFour)),
             Contains("10000 bytes exceed the memory model's limit of 8192 bytes"));
}

TEST_CASE("LOOP repeats its body, nested loops restart, and runaway runs stop", "[isa][executor]") {
  Memory m;
  const Counters c = run(m,
                         "outer: SIGNAL n0.g0:0, add, 1, relaxed\n"
                         "inner: SIGNAL n0.g0:8, add, 1, relaxed\n"
                         "  LOOP target=inner, count=2\n"
                         "  LOOP target=outer, count=3\n",
                         grant_all({q(0, 0)}, kFour));
  CHECK(m.read(g(0, 0), 0, 1) == std::vector<uint8_t>{4});   // outer body 3 + 1 times
  CHECK(m.read(g(0, 0), 8, 1) == std::vector<uint8_t>{12});  // (2 + 1) per outer pass
  CHECK(c.by_instruction.at("LOOP").executed == 4 * 3 + 4);
  CHECK_THAT(run_error(m, "NOP\nLOOP target=2, count=0\nNOP\n", {}), Contains("test.s:2:1: LOOP target 2 is not in [0, 1]"));
  CHECK_THAT(run_error(m, "NOP\nQUEUE n0.g1, 0\nLOOP target=0, count=0\n", {}), Contains("is not in [2, 2]"));
  CHECK_THAT(run_error(m, "QUEUE n0.g0, 0\nQUEUE n0.g0, 0\n", {}),
             Contains("test.s:2:1: queue n0.g0.q0 was already started at test.s:1:1"));
  Executor e(m, {}, ExecutorOptions{1000});
  CHECK_THROWS_WITH(e.run(asm_text("a: NOP\nLOOP a, 65535\nLOOP a, 65535\n")),
                    Contains("the run passed 1000 executed descriptors"));
}

TEST_CASE("malformed routing tables stop DISPATCH with the entry's number", "[isa][executor]") {
  RoutingEntry e;
  e.mask = 1;
  e.kind = EntryKind::pull;
  const auto bytes = encode_entry(e);
  RoutingEntry back;
  CHECK(decode_entry(bytes.data(), back).empty());
  CHECK(back.kind == EntryKind::pull);
  Memory m;
  m.write(g(0, 0), 0x1000, std::vector<uint8_t>(bytes.begin(), bytes.end()));
  const std::string dispatch = "DISPATCH table=0x1000, entries=1, src=0, dst=0x100, bytes=4, counter=0x0, nodes=1, "
                               "gpus=1, plane=0\n";
  CHECK_THAT(run_error(m, dispatch, grant_all({q(0, 0)}, kFour)),
             Contains("routing table entry 0: kind pull is not multicast or forward"));
  auto bad = bytes;
  bad[14] = 1;
  m.write(g(0, 0), 0x1000, std::vector<uint8_t>(bad.begin(), bad.end()));
  CHECK_THAT(run_error(m, dispatch, grant_all({q(0, 0)}, kFour)),
             Contains("routing table entry 0: reserved bytes 14..15 are not zero"));
  bad = bytes;
  bad[11] = 0;
  CHECK(decode_entry(bad.data(), back) == "the GPU mask is empty");
  bad = bytes;
  bad[12] = 9;
  CHECK(decode_entry(bad.data(), back) == "kind 9 is not 0..4");
}

// The memory image of `hwlab isa run --memory`: windows, regions, errors at file:line:column; --dump.
#include <catch2/catch.hpp>

#include "isa/memory_init.h"

using namespace hwlab;
using namespace hwlab::isa;
using Catch::Matchers::Contains;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_memory_image(yaml, "m.yaml");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a memory image grants windows and fills regions", "[isa][memory]") {
  const MemoryImage image = parse_memory_image(
      "windows:\n"
      "  - {queue: n0.g1.q2, at: p3.n1.g0:0x100, bytes: 0x40, access: r}\n"
      "  - queue: n0.g1.q2\n"
      "    at: n0.g1:0\n"
      "    bytes: 4096\n"
      "    access: rw\n"
      "regions:\n"
      "  - {at: n1.g0:0x100, dtype: bf16, values: [1, -2.5, 0.1]}\n"
      "  - {at: n1.g0:0x200, dtype: u16, values: [0xffff, 7]}\n"
      "  - {at: n1.g0:0x300, dtype: e4m3, values: [448, -1]}\n",
      "m.yaml");
  REQUIRE(image.windows.size() == 2);
  CHECK(image.windows[0].queue == QueueId{{0, 1}, 2});
  CHECK(image.windows[0].gpu == GpuId{1, 0});
  CHECK(image.windows[0].offset == 0x100);
  CHECK(image.windows[0].access == kRead);
  CHECK(image.windows[1].access == (kRead | kWrite));
  Memory m;
  apply(image, m);
  CHECK(m.read({1, 0}, 0x100, 6) == std::vector<uint8_t>{0x80, 0x3f, 0x20, 0xc0, 0xcd, 0x3d});
  CHECK(m.read({1, 0}, 0x200, 4) == std::vector<uint8_t>{0xff, 0xff, 7, 0});
  CHECK(m.read({1, 0}, 0x300, 2) == std::vector<uint8_t>{0x7e, 0xb8});
  CHECK(dump_memory(m, "n1.g0:0x100:6:bf16") == "n1.g0:0x100 6 bytes as bf16\n  0x00000100: 1 -2.5 0.10009765625\n");
  CHECK(dump_memory(m, "n1.g0:0x200:4") == "n1.g0:0x200 4 bytes as hex\n  0x00000200: ff ff 07 00\n");
  CHECK(parse_memory_image("", "empty.yaml").windows.empty());
}

TEST_CASE("memory image errors name the place and what was expected", "[isa][memory]") {
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1, at: n0.g0:0, bytes: 1, access: r}\n"),
             Contains("m.yaml:2:18: windows[0].queue: expected '.q' and the queue number, found the end of the line"));
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1.q0, at: n0.g9:0, bytes: 1, access: r}\n"),
             Contains("m.yaml:2:31: windows[0].at: GPU number out of range: expected 0..7"));
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1.q0, at: n0.g0:0, bytes: -1, access: r}\n"),
             Contains("m.yaml:2:43: windows[0].bytes: expected an unsigned integer"));
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1.q0, at: n0.g0:0, bytes: 1, access: x}\n"),
             Contains("windows[0].access: expected r, w or rw, found \"x\""));
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1.q0, at: n0.g0:0, byte: 1, access: r}\n"),
             Contains("m.yaml:2:36: windows[0]: unknown key 'byte' (did you mean 'bytes'?)"));
  CHECK_THAT(error_of("windows:\n  - {queue: n0.g1.q0, at: n0.g0:0, access: r}\n"),
             Contains("windows[0]: missing key 'bytes'"));
  CHECK_THAT(error_of("regions:\n  - {at: n0.g0:0, dtype: bf61, values: [1]}\n"),
             Contains("m.yaml:2:26: regions[0].dtype: expected one of u8, u16, u32, u64, fp32, bf16, e4m3, e5m2, "
                      "found \"bf61\" (did you mean 'bf16'?)"));
  CHECK_THAT(error_of("regions:\n  - {at: n0.g0:0, dtype: u8, values: [1, 256]}\n"),
             Contains("m.yaml:2:42: regions[0].values[1]: expected an unsigned integer 0..255, found \"256\""));
  CHECK_THAT(error_of("regions:\n  - {at: n0.g0:0, dtype: e4m3, values: [449.0001]}\n"),
             Contains("regions[0].values[0]: 449.0001 is beyond the largest finite e4m3 (448)"));
  CHECK_THAT(error_of("regions:\n  - {at: n0.g0:0, dtype: fp32, values: [one]}\n"),
             Contains("regions[0].values[0]: expected a number, found \"one\""));
  CHECK_THAT(error_of("windowz: []\n"), Contains("m.yaml:1:1: memory: unknown key 'windowz' (did you mean 'windows'?)"));
  CHECK_THAT(error_of("windows: {a: 1}\n"), Contains("windows: expected a list, found a mapping"));
  Memory m;
  CHECK_THROWS_WITH(dump_memory(m, "n1.g0:0x100"), Contains("expected GPU:OFFSET:BYTES[:TYPE]"));
  CHECK_THROWS_WITH(dump_memory(m, "n1.g0:0x100:3:u16"), Contains("3 bytes is not a whole number of u16"));
}

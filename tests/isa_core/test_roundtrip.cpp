// asm -> bin -> disasm -> asm is a fixed point: on the examples and on random valid programs.
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/atomic_file.h"
#include "isa/assembler.h"
#include "isa/disassembler.h"
#include "tests/isa_core/isa_test_util.h"

using namespace hwlab;
using namespace hwlab::isa;

namespace {

// bin -> disasm -> asm -> bin gives the same bytes, and disassembling again the same text.
void require_fixed_point(const Program& program) {
  const std::string bin = to_binary(program);
  const Program decoded = from_binary(bin, "p.bin");
  const std::string text = disassemble(decoded);
  const Program again = assemble(text, "p.s");
  INFO(text);
  REQUIRE(to_binary(again) == bin);
  REQUIRE(disassemble(again) == text);
}

}  // namespace

TEST_CASE("the examples are a fixed point of asm -> bin -> disasm -> asm", "[isa][roundtrip]") {
  const std::filesystem::path dir = std::filesystem::path(HWLAB_SOURCE_DIR) / "isa" / "examples";
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".s") continue;
    INFO(entry.path());
    const Program p = assemble_file(entry.path().string());
    REQUIRE(!p.descriptors.empty());
    require_fixed_point(p);
    ++examples;
  }
  CHECK(examples >= 3);
}

TEST_CASE("random valid programs are a fixed point of asm -> bin -> disasm -> asm", "[isa][roundtrip]") {
  std::mt19937_64 rng(20261123);
  for (int i = 0; i < 300; ++i) {
    const Program p = test::random_program(1 + rng() % 40, rng);
    require_fixed_point(p);
  }
}

TEST_CASE("assembling the disassembly of a program gives its bytes back, labels included", "[isa][roundtrip]") {
  const Program p = assemble(
      "QUEUE n0.g0, 0\n"
      "a: NOP\n"
      "b: LOOP target=a, count=3\n"
      "LOOP target=b, count=1\n"
      "LOOP target=999, count=0\n",  // a target past the program stays a number
      "l.s");
  const std::string text = disassemble(p);
  CHECK(text.find("L1:\n") != std::string::npos);
  CHECK(text.find("L2:\n") != std::string::npos);
  CHECK(text.find("LOOP target=999, count=0") != std::string::npos);
  require_fixed_point(p);
}

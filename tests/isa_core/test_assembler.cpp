// The assembler: operand forms, constants, labels, expressions, includes, and errors that give
// file:line:column, what was expected and the instruction's syntax.
#include <catch2/catch.hpp>

#include <map>

#include "isa/assembler.h"
#include "isa/disassembler.h"
#include "isa/encoding.h"

using namespace hwlab;
using namespace hwlab::isa;
using Catch::Matchers::Contains;

namespace {

Program asm_src(const std::string& text, const AssembleOptions& options = {}) {
  return assemble(text, "t.s", options);
}

std::string error_of(const std::string& text, const AssembleOptions& options = {}) {
  try {
    asm_src(text, options);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

AssembleOptions with_files(std::map<std::string, std::string> files) {
  AssembleOptions o;
  o.read_include = [files](const std::string& path) {
    const auto it = files.find(path);
    if (it == files.end()) throw UserError("cannot open " + path);
    return it->second;
  };
  return o;
}

}  // namespace

TEST_CASE("named, positional and mixed operands assemble to the same descriptor", "[isa][asm]") {
  const Program p = asm_src(
      "WRITE dst=p0.n1.g2:0x1000, src=0x40, bytes=64\n"
      "write n1.g2:4096, 64, 0x40          # plane 0 by default, any case\n"
      "Write p0.n1.g2:0x1000, bytes=64, src=0x40 ; mixed, named in any order\n"
      "// a comment line\n"
      "\n");
  REQUIRE(p.descriptors.size() == 3);
  CHECK(encode(p.descriptors[0]) == encode(p.descriptors[1]));
  CHECK(encode(p.descriptors[0]) == encode(p.descriptors[2]));
  CHECK(p.descriptors[2].index == 2);
  CHECK(p.descriptors[1].where.str() == "t.s:2:1");
  CHECK(p.descriptors[0].address("dst").where == GpuId{1, 2});
}

TEST_CASE("constants, expressions and labels", "[isa][asm]") {
  const Program p = asm_src(
      ".equ ROW, 7168 + 56 * 4\n"
      ".equ BASE = 1 << 20\n"
      ".set MASKED, (BASE | 0xff) & ~0xf\n"
      "QUEUE coproc=n0.g1, queue=2\n"
      "start:\n"
      "  WRITE dst=n1.g0:BASE + 2*ROW, src=MASKED, bytes=ROW   \n"
      "again: inner: NOP\n"
      "  LOOP target=later, count=0b1_01\n"
      "later: LOOP target=start, count=-(-3) % 2\n");
  REQUIRE(p.descriptors.size() == 5);
  CHECK(p.descriptors[1].address("dst").offset == (1u << 20) + 2 * 7392);
  CHECK(p.descriptors[1].u("src") == ((1u << 20 | 0xff) & ~0xfu));
  CHECK(p.descriptors[1].u("bytes") == 7392);
  CHECK(p.descriptors[3].u("target") == 4);  // a label used before its definition
  CHECK(p.descriptors[3].u("count") == 5);
  CHECK(p.descriptors[4].u("target") == 1);
  CHECK(p.descriptors[4].u("count") == 1);
  CHECK(p.descriptors[0].gpu("coproc") == GpuId{0, 1});
}

TEST_CASE("destination sets, enumerations and accumulators", "[isa][asm]") {
  const Program p = asm_src(
      "MULTICAST dsts=p3.n7.g{0,2,7}, dst=0, src=0x100, bytes=8\n"
      "MULTICAST n7.g5, 0, 0x100, 8\n"
      "REDUCE dst=0, srcs=n0.g{1,0}, src=0, cols=64, rows=1, stype=e4m3s, dtype=bf16, accumulate=yes\n"
      "MMA.FP8 d=0, a=0x100, b=0x200, sa=0x300, sb=0x304, m=1, n=1, k=32, format=e5m2, acc=fp32, "
      "scaling=tensor, promotion=0, group_scaled=no\n"
      "mma.fp8 0, 0x100, 0x200, 0x300, 0x304, 1, 1, 32, e4m3, 13, tile, 128, yes\n");
  CHECK(p.descriptors[0].destinations("dsts").plane == 3);
  CHECK(p.descriptors[0].destinations("dsts").mask == 0x85);
  CHECK(p.descriptors[1].destinations("dsts").mask == 0x20);
  CHECK(p.descriptors[2].destinations("srcs").mask == 0x03);
  CHECK(p.descriptors[2].dtype("stype") == Dtype::e4m3s);
  CHECK(p.descriptors[2].u("accumulate") == 1);
  CHECK(p.descriptors[3].u("acc") == 0);
  CHECK(p.descriptors[3].u("format") == 1);
  CHECK(p.descriptors[4].u("acc") == 13);
  CHECK(p.descriptors[4].u("scaling") == 1);
}

TEST_CASE("includes are spliced in, relative to the including file", "[isa][asm]") {
  const auto files = with_files({{"lib/common.s", ".equ ROW, 64\n.include \"more.s\"\n"},
                                 {"lib/more.s", "NOP\n"},
                                 {"self.s", ".include \"self.s\"\n"},
                                 {"bad.s", "NOP\nWRITE dst=n0.g0:0, src=0, bytes=0\n"}});
  const Program p = assemble(".include \"lib/common.s\"\nWRITE n0.g1:0, 0, ROW\n", "main.s", files);
  REQUIRE(p.descriptors.size() == 2);
  CHECK(p.descriptors[0].where.str() == "lib/more.s:1:1");
  CHECK(p.descriptors[1].u("bytes") == 64);
  CHECK_THAT(error_of(".include \"self.s\"\n", files), Contains("self.s:1:1: .include \"self.s\" includes itself"));
  CHECK_THAT(error_of("NOP\n  .include \"missing.s\"\n", files),
             Contains("t.s:2:3: .include \"missing.s\": cannot open missing.s"));
  CHECK_THAT(error_of(".include \"bad.s\"\n", files),
             Contains("bad.s:2:33: bytes: 0 is out of range: expected 1..4294967295"));
  CHECK_THAT(error_of(".include \"x.s\"\n"), Contains("t.s:1:1: .include is not available here"));
}

TEST_CASE("assembly errors give file:line:column, what was expected and the syntax", "[isa][asm]") {
  const std::string write_syntax =
      "(syntax: WRITE dst=<global address p0.n1.g2:0x1000>, src=<offset 0x1000>, bytes=<1..4294967295>)";
  struct Case {
    const char* source;
    const char* message;
  };
  const Case cases[] = {
      {"NOP\n  WRIT dst=n0.g0:0, src=0, bytes=1\n", "t.s:2:3: unknown mnemonic 'WRIT' (did you mean 'WRITE'?)"},
      {"WRITE dst=n0.g0:0, src=0\n", "t.s:1:25: missing operand bytes (syntax: WRITE"},
      {"    WRITE dst=p0.n1.g0:0x1000, src=0x0, bytes=0\n", "t.s:1:47: bytes: 0 is out of range: expected 1..4294967295"},
      {"WRITE dst=x1, src=0, bytes=1\n", "t.s:1:11: dst: expected a global address like p0.n1.g2:0x1000, found 'x1'"},
      {"WRITE dst=n2048.g0:0, src=0, bytes=1\n", "t.s:1:12: node number out of range: expected 0..2047"},
      {"WRITE dst=n1.g8:0, src=0, bytes=1\n", "t.s:1:15: GPU number out of range: expected 0..7"},
      {"WRITE dst=n1.g0 0, src=0, bytes=1\n", "t.s:1:17: expected ':' and the offset, found '0'"},
      {"WRITE dst=n1.g0:0x10000000000, src=0, bytes=1\n", "t.s:1:17: dst: 1099511627776 is out of range"},
      {"WRITE dst=n1.g0:0, src=ROWS, bytes=1\n", "t.s:1:24: unknown symbol 'ROWS'"},
      {".equ ROW, 1\nWRITE dst=n1.g0:0, src=ROWS, bytes=1\n", "unknown symbol 'ROWS' (did you mean 'ROW'?)"},
      {"a: NOP\na: NOP\n", "t.s:2:1: 'a' is already defined at t.s:1:1"},
      {".equ x, 1\nx: NOP\n", "t.s:1:6: 'x' is already defined at t.s:2:1"},
      {"NOP: NOP\n", "'NOP' is a mnemonic and cannot name a symbol"},
      {"WRITE dst=n1.g0:0, 0, 1\n", "t.s:1:20: expected name=value: positional operands come before named ones"},
      {"WRITE n1.g0:0, 0, 1, 2\n", "t.s:1:22: WRITE takes 3 operands, found more"},
      {"WRITE n1.g0:0, src=0, src=1, bytes=1\n", "t.s:1:23: operand src is given twice"},
      {"WRITE n1.g0:0, srx=0, bytes=1\n", "t.s:1:16: WRITE has no operand 'srx' (did you mean 'src'?)"},
      {"WRITE n1.g0:0, 0, 1 2\n", "t.s:1:21: expected ',' or the end of the line, found '2'"},
      {"WRITE n1.g0:0/0, 0, 1\n", "t.s:1:14: division by zero"},
      {"WRITE n1.g0:0, 0x7fffffffffffffff + 1, 1\n", "t.s:1:35: integer overflow"},
      {"WRITE n1.g0:0, 1 << 64, 1\n", "t.s:1:18: shift by 64: expected 0..63"},
      {"WRITE n1.g0:0, 99999999999999999999, 1\n", "t.s:1:16: number too large"},
      {"WRITE n1.g0:0, 0x, 1\n", "t.s:1:16: expected digits after the base prefix"},
      {"WRITE n1.g0:0, 12ab, 1\n", "t.s:1:18: 'a' is not a digit of a base-10 number"},
      {"WRITE n1.g0:0, (1, 1\n", "t.s:1:18: expected ')', found ','"},
      {"CAST dst=0, src=0, cols=1, rows=1, stype=bf61, dtype=fp32\n",
       "t.s:1:42: stype: expected one of fp32, bf16, e4m3s, e4m3u, found 'bf61' (did you mean 'bf16'?)"},
      {"CAST dst=0, src=0, cols=1, rows=1, stype=bf16, dtype=bf16\n",
       "t.s:1:1: stype and dtype are both bf16: nothing to convert (syntax: CAST"},
      {"SIGNAL n0.g1:4, add, 1, release\n", "t.s:1:1: counter offset 0x4 is not 8-byte aligned"},
      {"MULTICAST n0.g{1,1}, 0, 0, 8\n", "t.s:1:18: GPU 1 is listed twice"},
      {"MULTICAST n0.{1}, 0, 0, 8\n", "t.s:1:14: expected 'g' and a GPU or a {list} of GPUs, found '{1}'"},
      {"MMA.FP8 0, 0, 0, 0, 0, 1, 1, 32, e4m3, 9, tensor, 0, no\n",
       "t.s:1:40: acc: expected fp32 or an alignment width 10..40, found 9"},
      {".equ\n", "t.s:1:5: expected a constant name, found the end of the line"},
      {".macro x\n", "t.s:1:1: unknown directive '.macro': expected .equ or .include"},
      {"LOOP target=((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))"
       "))))))))))))))))))))))))))))))))))))))))))))))))))))))))), count=1\n",
       "expression nested too deeply"},
      {"= NOP\n", "t.s:1:1: expected a mnemonic, a label or a directive, found '='"},
  };
  for (const Case& c : cases) {
    INFO(c.source);
    CHECK_THAT(error_of(c.source), Contains(c.message));
  }
  CHECK_THAT(error_of("WRITE dst=x1, src=0, bytes=1\n"), Contains(write_syntax));
}

TEST_CASE("disassembly prints canonical operands that assemble to the same bytes", "[isa][asm]") {
  const Program p = asm_src(
      "QUEUE n3.g1, 2\n"
      "top: WRITE n1.g2:4096, 64, 0x40\n"
      "MULTICAST n7.g{2,0}, 16, 0x100, 8\n"
      "LOOP top, 2\n");
  const std::string text = disassemble(p);
  CHECK_THAT(text, Contains("QUEUE coproc=n3.g1, queue=2\nL1:\n    WRITE dst=p0.n1.g2:0x1000, src=0x40, bytes=64\n"));
  CHECK_THAT(text, Contains("    MULTICAST dsts=p0.n7.g{0,2}, dst=0x10, src=0x100, bytes=8\n"));
  CHECK_THAT(text, Contains("    LOOP target=L1, count=2\n"));
  CHECK(to_binary(assemble(text, "d.s")) == to_binary(p));
}

// Fuzzes the assembler: any text either assembles or fails with a UserError (never a crash, hang or
// sanitizer report), and whatever assembles is a fixed point of asm -> bin -> disasm -> asm.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "isa/assembler.h"
#include "isa/disassembler.h"

using namespace hwlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  isa::AssembleOptions options;
  options.read_include = [](const std::string& path) -> std::string {
    if (path.size() % 2) throw UserError("cannot open " + path);  // half of the includes exist
    return "NOP\n.equ INCLUDED, 1\n";
  };
  isa::Program program;
  try {
    program = isa::assemble(text, "fuzz.s", options);
  } catch (const UserError&) {
    return 0;
  }
  const std::string bin = isa::to_binary(program);
  const std::string dis = isa::disassemble(isa::from_binary(bin, "fuzz.bin"));
  const isa::Program again = isa::assemble(dis, "dis.s");
  if (isa::to_binary(again) != bin || isa::disassemble(again) != dis) std::abort();  // not a fixed point
  try {
    (void)isa::split_queues(program);
  } catch (const UserError&) {
  }
  return 0;
}

// Fuzzes the binary decoder: any bytes either decode as a program or fail with a UserError naming the
// descriptor (never a crash, hang or sanitizer report). A decoded program re-encodes to the same bytes
// and survives disasm -> asm unchanged; every single descriptor's verdict is checked on its own too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "isa/assembler.h"
#include "isa/disassembler.h"
#include "isa/encoding.h"

using namespace hwlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (size_t at = 0; at + isa::kDescriptorBytes <= size; at += isa::kDescriptorBytes) {
    const isa::DecodeResult r = isa::decode(data + at);
    if (r.ok() != r.error.empty()) std::abort();
    if (r.ok()) {
      const isa::Descriptor d = isa::encode(r.instruction);
      if (std::string(reinterpret_cast<const char*>(d.data()), d.size()) != bytes.substr(at, isa::kDescriptorBytes))
        std::abort();  // the decoder accepted something the encoder cannot produce
    }
  }
  isa::Program program;
  try {
    program = isa::from_binary(bytes, "fuzz.bin");
  } catch (const UserError&) {
    return 0;
  }
  if (isa::to_binary(program) != bytes) std::abort();
  const std::string text = isa::disassemble(program);
  if (isa::to_binary(isa::assemble(text, "dis.s")) != bytes) std::abort();
  try {
    (void)isa::split_queues(program);
  } catch (const UserError&) {
  }
  return 0;
}

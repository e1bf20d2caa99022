// The disassembler: a program back to assembly text that assembles to the same bytes, and that the
// disassembler prints again unchanged (asm -> bin -> disasm -> asm is a fixed point). Operands are
// written by name, in table order, in their canonical form (planes always shown, offsets in hex);
// LOOP targets get labels L<descriptor index>.
#pragma once

#include <string>

#include "isa/program.h"

namespace hwlab::isa {

std::string disassemble(const Program& program);
// One instruction's operands, canonical ("dst=p0.n1.g0:0x1000, src=0x0, bytes=64"); targets as numbers.
std::string format_operands(const Instruction& insn);
std::string format_operand(const FieldSpec& field, uint64_t value);

}  // namespace hwlab::isa

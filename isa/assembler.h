// The assembler: one instruction per line, derived from the table.
//
//   # comment (also ';' and '//')          .include "other.s"   (relative to this file)
//   .equ ROW_BYTES, 7168 + 56*4            label:               (value: the next descriptor's index)
//   WRITE dst=p0.n1.g0:0x1000, src=0x0, bytes=ROW_BYTES
//   WRITE p0.n1.g0:0x1000, 0x0, 64         (operands in table order, or by name, or both: positional
//                                           ones first)
//
// Mnemonics are case-insensitive. Integer expressions: decimal, 0x, 0b (with '_' separators),
// symbols, ( ), unary - ~, and * / % << >> + - & ^ | with C precedence, in signed 64-bit arithmetic
// where overflow is an error. Labels may be used before they are defined; constants may not.
// Errors: UserError "file:line:column: what was expected, what was found (syntax: ...)".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "isa/program.h"

namespace hwlab::isa {

// Returns the text of an included file (`path` already resolved against the including file's
// folder), or throws UserError.
using IncludeReader = std::function<std::string(const std::string& path)>;

struct AssembleOptions {
  IncludeReader read_include;  // empty: .include is an error
  int max_include_depth = 16;
};

Program assemble(std::string_view source, const std::string& file_name, const AssembleOptions& options = {});
// Reads `path` and its includes from disk.
Program assemble_file(const std::string& path);

}  // namespace hwlab::isa

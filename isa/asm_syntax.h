// Scanning one assembly line: identifiers, integer expressions and the operand kinds of operands.h.
// Every error is a UserError at file:line:column saying what was expected and what was found.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"
#include "isa/table.h"

namespace hwlab::isa::assembly {

// A symbol: a constant (.equ) or a label (a descriptor index), with where it was defined.
struct Symbol {
  int64_t value = 0;
  SourceLocation defined_at;
};
using SymbolTable = std::map<std::string, Symbol, std::less<>>;

class LineCursor {
 public:
  // `text` is the line without its comment; `where` gives file, line and the column of text[0].
  LineCursor(std::string_view text, SourceLocation where) : text_(text), where_(std::move(where)) {}

  void skip_space();
  bool at_end();                    // only spaces left
  char peek();                      // after skipping spaces; '\0' at the end
  bool accept(char c);              // skips spaces; consumes c if next
  void expect(char c, const char* what);
  // [A-Za-z_][A-Za-z0-9_]* (with dots too, and a leading dot, when `dots`), after spaces; empty when none.
  std::string_view identifier(bool dots = false);
  // A decimal literal right here (no spaces), for the p/n/g parts of addresses.
  unsigned small_decimal(const char* what, unsigned limit);
  int64_t expression(const SymbolTable& symbols);
  std::string quoted_string();

  int column() const { return static_cast<int>(pos_) + 1; }
  SourceLocation here() const { return at(column()); }
  SourceLocation at(int column) const;
  std::string_view rest() const { return text_.substr(pos_); }
  // What follows the cursor, for "found ..." (a word, or "the end of the line").
  std::string found();
  [[noreturn]] void fail(const std::string& message) const { throw UserError(here(), context_ + message); }
  [[noreturn]] void fail_at(int column, const std::string& message) const {
    throw UserError(at(column), context_ + message);
  }
  // A prefix for every message ("windows[0].at: "), for operands read outside assembly files.
  void set_context(std::string context) { context_ = std::move(context); }

 private:
  int64_t parse_binary(const SymbolTable& symbols, int min_precedence, int depth);
  int64_t parse_unary(const SymbolTable& symbols, int depth);
  int64_t parse_number();

  std::string_view text_;
  SourceLocation where_;
  size_t pos_ = 0;
  std::string context_;
};

// "n1.g2" at the cursor.
GpuId parse_gpu_id(LineCursor& cursor);

// Parses one operand of `field` at the cursor and returns the field value. `symbols` resolves names
// in expressions. Range errors name the field and the valid range.
uint64_t parse_operand(LineCursor& cursor, const FieldSpec& field, const SymbolTable& symbols);

// "<global address p0.n1.g2:0x1000>", "<1..4294967295>", "fp32|bf16|e4m3s|e4m3u", for syntax hints.
std::string operand_hint(const FieldSpec& field);
// "WRITE dst=<...>, src=<...>, bytes=<...>"
std::string syntax_of(const InstructionSpec& spec);

}  // namespace hwlab::isa::assembly

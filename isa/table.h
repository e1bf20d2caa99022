// The instruction table: the only place an instruction is defined (riscv-opcodes style). Each row
// gives the mnemonic, the opcode, the operand fields with their kinds and widths, the semantics (a
// short file of its own in isa/insns/, Spike style) and a one-line doc. The encoder, decoder,
// assembler, disassembler, the reference in papers/isa/ and the SystemVerilog package in
// rtl/generated/ are all derived from it.
//
// Descriptor (64 bytes, little-endian bit numbering: bit b is bit b%8 of byte b/8):
//   bits [0, 8)   opcode
//   bits [8, 12)  format version (kFormatVersion)
//   bits [12, 16) reserved, zero
//   bits [16, 512) the row's fields, placed in table order, each at the lowest bit offset where it
//                  overlaps no earlier field and does not cross a 64-bit word boundary (so hardware
//                  reads every field from one word); every bit no field covers is reserved, zero.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "isa/operands.h"

namespace hwlab::isa {

inline constexpr int kDescriptorBytes = 64;
inline constexpr int kDescriptorBits = kDescriptorBytes * 8;
inline constexpr unsigned kFormatVersion = 1;
inline constexpr int kOpcodeBits = 8;
inline constexpr int kVersionShift = 8;
inline constexpr int kVersionBits = 4;
inline constexpr int kHeaderBits = 16;
inline constexpr int kMaxFields = 16;

struct FieldSpec {
  const char* name;
  FieldKind kind;
  int width = 0;                         // bits
  const EnumSpec* enumeration = nullptr; // enumeration fields
  uint64_t min = 0, max = 0;             // unsigned_int: the valid range, inclusive
  bool hex = false;                      // unsigned_int: shown in hexadecimal
  const char* doc = "";
};

class ExecContext;
struct Instruction;

// What an instruction did when the executor stepped it: finished, or must be retried later (a WAIT
// whose condition does not hold yet).
enum class StepResult { done, blocked };
using ExecuteFn = StepResult (*)(ExecContext&, const Instruction&);
// Rules between fields that widths and ranges cannot express; "" when the descriptor is valid.
using CheckFn = std::string (*)(const Instruction&);

struct Semantics {
  ExecuteFn execute = nullptr;  // nullptr: structural (QUEUE is consumed by the program loader)
  CheckFn check = nullptr;
  const char* details = "";     // Markdown for the reference: the exact semantics
};

struct InstructionSpec {
  const char* mnemonic;
  uint8_t opcode;
  const char* doc;  // one line
  const Semantics* semantics;
  std::vector<FieldSpec> fields;
  std::vector<int> offsets;  // derived: bit offset of each field in the descriptor

  int field_index(std::string_view name) const;  // -1 when absent
};

// The table, in opcode order, with the derived field offsets filled in.
const std::vector<InstructionSpec>& instruction_table();
const InstructionSpec* find_opcode(unsigned opcode);
const InstructionSpec* find_mnemonic(std::string_view mnemonic);  // case-insensitive
std::vector<std::string> mnemonics();

// One decoded (or assembled) descriptor: the row and a value per field.
struct Instruction {
  const InstructionSpec* spec = nullptr;
  std::array<uint64_t, kMaxFields> values{};
  SourceLocation where;  // the assembly line, or the binary file
  int index = -1;        // descriptor index in its program

  uint64_t u(std::string_view field) const;
  GlobalAddress address(std::string_view field) const;
  GpuId gpu(std::string_view field) const;
  DestinationSet destinations(std::string_view field) const;
  Dtype dtype(std::string_view field) const;
  void set(std::string_view field, uint64_t value);
  std::string mnemonic() const { return spec->mnemonic; }
};

// Checks every field against its kind and range, then the row's own rules: "" when valid, else the
// reason ("field bytes: 0 is outside [1, 4294967295]").
std::string validate(const Instruction& insn);

// The class of the first check an instruction or a descriptor fails, as a code: the message says
// the details, the code lets another decoder be compared with this one exactly (the RTL decoder in
// rtl/coproc reads it as hwlab_isa_pkg::reject_e). Codes are stable: append, never renumber.
enum class Reject : uint8_t {
  none = 0,
  unknown_opcode = 1,         // decode: no row has the opcode
  format_version = 2,         // decode: version field is not kFormatVersion
  reserved_bit = 3,           // decode: a bit outside the header and the row's fields is set
  field_width = 4,            // a value wider than its field (cannot come from a descriptor)
  address_reserved_bit = 5,   // global address: a bit above the plane is set
  empty_destination_set = 6,  // destination set with no GPU
  empty_gpu_mask = 7,         // GPU mask with no GPU
  accumulator_range = 8,      // accumulator neither 0 nor in [10, 40]
  field_range = 9,            // number, offset or enumeration outside the field's [min, max]
  cross_field = 10,           // the row's own rule (Semantics::check)
};
inline constexpr int kRejectCount = 11;
const char* reject_name(Reject reason);  // "unknown_opcode", ...

// validate() with the class of the failure and the field it concerns (-1 for cross_field).
struct Validation {
  Reject reason = Reject::none;
  int field = -1;
  std::string message;  // validate()'s text; "" when valid
};
Validation validation_of(const Instruction& insn);

// A valid instruction with every field set (a builder for generators and tests):
//   make("WRITE", {{"dst", pack_address(a)}, {"src", 0x100}, {"bytes", 64}})
// Asserts that the mnemonic and the names exist; does not validate.
Instruction make(std::string_view mnemonic, std::initializer_list<std::pair<const char*, uint64_t>> fields);

}  // namespace hwlab::isa

// The binary descriptor format, derived from the table: 64 bytes per instruction, the header and
// field offsets of table.h. The decoder accepts exactly what the encoder can produce: anything else
// is rejected with the reason.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "isa/table.h"

namespace hwlab::isa {

using Descriptor = std::array<uint8_t, kDescriptorBytes>;

// Packs a valid instruction (validate() is "") into a descriptor.
Descriptor encode(const Instruction& insn);

struct DecodeResult {
  Instruction instruction;  // meaningful only when error is empty (values are set from the field
                            // checks on: reason >= Reject::field_width)
  std::string error;        // "unknown opcode 0x7e", "format version 3, expected 1",
                            // "reserved bit 13 is set", "field bytes: 0 is outside [1, ...]"
  Reject reason = Reject::none;  // the class of `error` (table.h)
  int field = -1;                // the field a field check failed on (index in the row), else -1
  int bit = -1;                  // reserved_bit: the lowest reserved bit set, else -1
  bool ok() const { return error.empty(); }
};

DecodeResult decode(const uint8_t* bytes);  // reads kDescriptorBytes bytes

// Bits [offset, offset + width) of a descriptor (width <= 64, inside one 64-bit word).
uint64_t get_bits(const uint8_t* bytes, int offset, int width);
void put_bits(uint8_t* bytes, int offset, int width, uint64_t value);

}  // namespace hwlab::isa

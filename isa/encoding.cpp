#include "isa/encoding.h"

#include <cassert>

#include <fmt/format.h>

namespace hwlab::isa {

uint64_t get_bits(const uint8_t* bytes, int offset, int width) {
  assert(width > 0 && width <= 64 && offset / 64 == (offset + width - 1) / 64);
  uint64_t word = 0;
  const int base = offset / 64 * 8;
  for (int i = 7; i >= 0; --i) word = word << 8 | bytes[base + i];
  word >>= offset % 64;
  return width == 64 ? word : word & ((uint64_t{1} << width) - 1);
}

void put_bits(uint8_t* bytes, int offset, int width, uint64_t value) {
  assert(width > 0 && width <= 64 && offset / 64 == (offset + width - 1) / 64);
  assert(width == 64 || value >> width == 0);
  for (int b = 0; b < width; ++b) {
    const int bit = offset + b;
    const auto mask = static_cast<uint8_t>(1u << (bit % 8));
    if ((value >> b) & 1) bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] | mask);
    else bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] & ~mask);
  }
}

Descriptor encode(const Instruction& insn) {
  assert(validate(insn).empty());
  Descriptor d{};
  put_bits(d.data(), 0, kOpcodeBits, insn.spec->opcode);
  put_bits(d.data(), kVersionShift, kVersionBits, kFormatVersion);
  for (size_t i = 0; i < insn.spec->fields.size(); ++i)
    put_bits(d.data(), insn.spec->offsets[i], insn.spec->fields[i].width, insn.values[i]);
  return d;
}

DecodeResult decode(const uint8_t* bytes) {
  DecodeResult r;
  const auto opcode = static_cast<unsigned>(get_bits(bytes, 0, kOpcodeBits));
  const InstructionSpec* spec = find_opcode(opcode);
  if (!spec) {
    r.error = fmt::format("unknown opcode {:#04x}", opcode);
    r.reason = Reject::unknown_opcode;
    return r;
  }
  const auto version = static_cast<unsigned>(get_bits(bytes, kVersionShift, kVersionBits));
  if (version != kFormatVersion) {
    r.error = fmt::format("{}: format version {}, expected {}", spec->mnemonic, version, kFormatVersion);
    r.reason = Reject::format_version;
    return r;
  }
  // Every bit outside the header and the fields must be zero.
  Descriptor covered{};
  put_bits(covered.data(), 0, kOpcodeBits + kVersionBits, (uint64_t{1} << (kOpcodeBits + kVersionBits)) - 1);
  for (size_t i = 0; i < spec->fields.size(); ++i) {
    const int w = spec->fields[i].width;
    put_bits(covered.data(), spec->offsets[i], w, w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1);
  }
  for (int byte = 0; byte < kDescriptorBytes; ++byte) {
    const auto stray = static_cast<uint8_t>(bytes[byte] & ~covered[static_cast<size_t>(byte)]);
    if (!stray) continue;
    int bit = 0;
    while (!((stray >> bit) & 1)) ++bit;
    r.error = fmt::format("{}: reserved bit {} is set", spec->mnemonic, byte * 8 + bit);
    r.reason = Reject::reserved_bit;
    r.bit = byte * 8 + bit;
    return r;
  }
  r.instruction.spec = spec;
  for (size_t i = 0; i < spec->fields.size(); ++i)
    r.instruction.values[i] = get_bits(bytes, spec->offsets[i], spec->fields[i].width);
  const Validation v = validation_of(r.instruction);
  if (v.reason != Reject::none) {
    r.error = fmt::format("{}: {}", spec->mnemonic, v.message);
    r.reason = v.reason;
    r.field = v.field;
  }
  return r;
}

}  // namespace hwlab::isa

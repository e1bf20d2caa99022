// Field access by name, validation of a whole instruction, and the builder.
#include <cassert>
#include <utility>

#include <fmt/format.h>

#include "isa/table.h"

namespace hwlab::isa {
namespace {

size_t index_of(const Instruction& insn, std::string_view field) {
  const int i = insn.spec->field_index(field);
  assert(i >= 0 && "no such field");
  return static_cast<size_t>(i);
}

// The first check of field `f` that `v` fails, as a reason and its message (reason none: valid).
std::pair<Reject, std::string> check_field(const FieldSpec& f, uint64_t v) {
  const uint64_t limit = f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1;
  if (v > limit) return {Reject::field_width, fmt::format("field {}: {} does not fit in {} bits", f.name, v, f.width)};
  switch (f.kind) {
    case FieldKind::global_address:
      if (v >> kAddressUsedBits) {
        for (int b = kAddressUsedBits; b < 64; ++b)
          if ((v >> b) & 1)
            return {Reject::address_reserved_bit, fmt::format("field {}: reserved address bit {} is set", f.name, b)};
      }
      return {};
    case FieldKind::destination_set:
      if (unpack_destination_set(v).mask == 0)
        return {Reject::empty_destination_set, fmt::format("field {}: empty destination set", f.name)};
      return {};
    case FieldKind::gpu_mask:
      if (v == 0) return {Reject::empty_gpu_mask, fmt::format("field {}: empty GPU mask", f.name)};
      return {};
    case FieldKind::accumulator:
      if (v != 0 && (v < 10 || v > 40))
        return {Reject::accumulator_range,
                fmt::format("field {}: {} is neither 0 (fp32) nor an alignment width in [10, 40]", f.name, v)};
      return {};
    case FieldKind::unsigned_int:
    case FieldKind::offset:
    case FieldKind::enumeration:
      if (v < f.min || v > f.max)
        return {Reject::field_range, fmt::format("field {}: {} is outside [{}, {}]", f.name, v, f.min, f.max)};
      return {};
    case FieldKind::gpu:
    case FieldKind::target:
      return {};
  }
  return {};
}

}  // namespace

uint64_t Instruction::u(std::string_view field) const { return values[index_of(*this, field)]; }

GlobalAddress Instruction::address(std::string_view field) const {
  assert(spec->fields[index_of(*this, field)].kind == FieldKind::global_address);
  return unpack_address(u(field));
}

GpuId Instruction::gpu(std::string_view field) const { return unpack_gpu(u(field)); }

DestinationSet Instruction::destinations(std::string_view field) const {
  return unpack_destination_set(u(field));
}

Dtype Instruction::dtype(std::string_view field) const {
  assert(spec->fields[index_of(*this, field)].enumeration == &dtype_enum());
  return static_cast<Dtype>(u(field));
}

void Instruction::set(std::string_view field, uint64_t value) { values[index_of(*this, field)] = value; }

const char* reject_name(Reject reason) {
  switch (reason) {
    case Reject::none: return "none";
    case Reject::unknown_opcode: return "unknown_opcode";
    case Reject::format_version: return "format_version";
    case Reject::reserved_bit: return "reserved_bit";
    case Reject::field_width: return "field_width";
    case Reject::address_reserved_bit: return "address_reserved_bit";
    case Reject::empty_destination_set: return "empty_destination_set";
    case Reject::empty_gpu_mask: return "empty_gpu_mask";
    case Reject::accumulator_range: return "accumulator_range";
    case Reject::field_range: return "field_range";
    case Reject::cross_field: return "cross_field";
  }
  return "?";
}

Validation validation_of(const Instruction& insn) {
  const auto& fields = insn.spec->fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    auto [reason, why] = check_field(fields[i], insn.values[i]);
    if (reason != Reject::none) return {reason, static_cast<int>(i), std::move(why)};
  }
  for (size_t i = fields.size(); i < insn.values.size(); ++i) assert(insn.values[i] == 0);
  if (insn.spec->semantics && insn.spec->semantics->check) {
    std::string why = insn.spec->semantics->check(insn);
    if (!why.empty()) return {Reject::cross_field, -1, std::move(why)};
  }
  return {};
}

std::string validate(const Instruction& insn) { return validation_of(insn).message; }

Instruction make(std::string_view mnemonic, std::initializer_list<std::pair<const char*, uint64_t>> fields) {
  Instruction insn;
  insn.spec = find_mnemonic(mnemonic);
  assert(insn.spec && "no such mnemonic");
  for (const auto& [name, value] : fields) insn.set(name, value);
  return insn;
}

}  // namespace hwlab::isa

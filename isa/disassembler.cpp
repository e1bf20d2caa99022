#include "isa/disassembler.h"

#include <set>

#include <fmt/format.h>

namespace hwlab::isa {

std::string format_operand(const FieldSpec& f, uint64_t v) {
  switch (f.kind) {
    case FieldKind::global_address: return unpack_address(v).str();
    case FieldKind::gpu: return unpack_gpu(v).str();
    case FieldKind::destination_set: return unpack_destination_set(v).str();
    case FieldKind::gpu_mask: return mask_str(static_cast<uint8_t>(v));
    case FieldKind::enumeration: return f.enumeration->values[v].name;
    case FieldKind::accumulator: return v == 0 ? "fp32" : std::to_string(v);
    case FieldKind::offset: return fmt::format("{:#x}", v);
    case FieldKind::unsigned_int: return f.hex ? fmt::format("{:#x}", v) : std::to_string(v);
    case FieldKind::target: return std::to_string(v);
  }
  return "?";
}

namespace {

// Targets that name a descriptor of the program print as labels; others (a LOOP that split_queues
// would reject) as numbers, so that the text still assembles to the same bytes.
std::string operands_with_labels(const Instruction& insn, const std::set<uint64_t>& labels) {
  std::string s;
  for (size_t i = 0; i < insn.spec->fields.size(); ++i) {
    const FieldSpec& f = insn.spec->fields[i];
    s += i ? ", " : "";
    s += f.name;
    s += "=";
    const bool label = f.kind == FieldKind::target && labels.count(insn.values[i]);
    s += label ? fmt::format("L{}", insn.values[i]) : format_operand(f, insn.values[i]);
  }
  return s;
}

}  // namespace

std::string format_operands(const Instruction& insn) { return operands_with_labels(insn, {}); }

std::string disassemble(const Program& program) {
  std::set<uint64_t> targets;
  for (const Instruction& insn : program.descriptors)
    for (size_t i = 0; i < insn.spec->fields.size(); ++i)
      if (insn.spec->fields[i].kind == FieldKind::target && insn.values[i] < program.descriptors.size())
        targets.insert(insn.values[i]);
  std::string out = fmt::format("# hwlab co-processor ISA, format version {}, {} descriptors\n", kFormatVersion,
                                program.descriptors.size());
  for (const Instruction& insn : program.descriptors) {
    if (targets.count(static_cast<uint64_t>(insn.index))) out += fmt::format("L{}:\n", insn.index);
    const bool queue = std::string_view(insn.spec->mnemonic) == "QUEUE";
    out += queue ? "" : "    ";
    out += insn.spec->mnemonic;
    if (!insn.spec->fields.empty()) out += " " + operands_with_labels(insn, targets);
    out += "\n";
  }
  return out;
}

}  // namespace hwlab::isa

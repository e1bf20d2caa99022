// The SystemVerilog package: opcodes, enumerations, the address layout, every field's LSB and
// width, a mask of the bits each instruction uses (a decoder rejects any other set bit), the
// rejection codes (isa::Reject), and the whole table as packed constants for table-driven decoders.
#include <cctype>

#include <fmt/format.h>

#include "isa/docgen.h"
#include "isa/encoding.h"
#include "isa/table.h"

namespace hwlab::isa {
namespace {

std::string upper_name(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

std::string used_mask_hex(const InstructionSpec& spec) {
  Descriptor used{};
  put_bits(used.data(), 0, kOpcodeBits + kVersionBits, (uint64_t{1} << (kOpcodeBits + kVersionBits)) - 1);
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const int w = spec.fields[i].width;
    put_bits(used.data(), spec.offsets[i], w, w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1);
  }
  std::string hex;
  for (int b = kDescriptorBytes - 1; b >= 0; --b) hex += fmt::format("{:02x}", used[static_cast<size_t>(b)]);
  return hex;
}

// Comments in the package stay ASCII, whatever the table's docs contain ("§" becomes "sec.").
std::string ascii(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 2) == "\xc2\xa7") {
      out += "sec. ";
      ++i;
      if (i + 1 < text.size() && text[i + 1] == ' ') ++i;
    } else if (static_cast<unsigned char>(text[i]) < 0x80) {
      out += text[i];
    }
  }
  return out;
}

// FieldKind's enumerator name.
const char* kind_slug(FieldKind kind) {
  switch (kind) {
    case FieldKind::global_address: return "global_address";
    case FieldKind::offset: return "offset";
    case FieldKind::gpu: return "gpu";
    case FieldKind::destination_set: return "destination_set";
    case FieldKind::gpu_mask: return "gpu_mask";
    case FieldKind::unsigned_int: return "unsigned_int";
    case FieldKind::enumeration: return "enumeration";
    case FieldKind::target: return "target";
    case FieldKind::accumulator: return "accumulator";
  }
  return "?";
}

// One packed constant of the whole table, row r's slot i at [bits*(kMaxFields*r + i) +: bits]; one
// source line per row, its last slot first.
std::string field_table(const std::vector<InstructionSpec>& table, const char* name, int bits, bool hex,
                        const char* doc, uint64_t (*value)(const InstructionSpec&, size_t)) {
  std::string s = fmt::format("  // {}\n", doc);
  s += fmt::format("  localparam logic [TABLE_ROWS*TABLE_MAX_FIELDS*{}-1:0] {} = {{\n", bits, name);
  for (size_t r = table.size(); r-- > 0;) {
    s += fmt::format("    /* {} */", table[r].mnemonic);
    for (size_t i = kMaxFields; i-- > 0;) {
      const uint64_t v = i < table[r].fields.size() ? value(table[r], i) : 0;
      s += hex ? fmt::format(" {}'h{:x}", bits, v) : fmt::format(" {}'d{}", bits, v);
      if (i > 0 || r > 0) s += ",";
    }
    s += "\n";
  }
  return s + "  };\n";
}

// The table as packed constants, for decoders that generate their checks from it (rtl/coproc).
std::string table_constants(const std::vector<InstructionSpec>& table) {
  std::string s;
  s += "  // The table for table-driven decoders: row r in opcode order, field slot i in the row's order.\n";
  s += fmt::format("  localparam int unsigned TABLE_ROWS = {};\n", table.size());
  s += fmt::format("  localparam int unsigned TABLE_MAX_FIELDS = {};\n", kMaxFields);
  s += "  // Row r's opcode at [8*r +: 8].\n";
  s += "  localparam logic [TABLE_ROWS*8-1:0] TABLE_OPCODE = {";
  for (size_t r = table.size(); r-- > 0;)
    s += fmt::format("8'h{:02x}{}", table[r].opcode, r > 0 ? ", " : "};\n");
  s += "  // Row r's number of fields at [8*r +: 8].\n";
  s += "  localparam logic [TABLE_ROWS*8-1:0] TABLE_FIELD_COUNT = {";
  for (size_t r = table.size(); r-- > 0;)
    s += fmt::format("8'd{}{}", table[r].fields.size(), r > 0 ? ", " : "};\n");
  s += "  // Row r's used bits (the *_USED_BITS above) at [DESCRIPTOR_BITS*r +: DESCRIPTOR_BITS].\n";
  s += "  localparam logic [TABLE_ROWS*DESCRIPTOR_BITS-1:0] TABLE_USED_BITS = {";
  for (size_t r = table.size(); r-- > 0;)
    s += fmt::format("{}_USED_BITS{}", upper_name(table[r].mnemonic), r > 0 ? ", " : "};\n");
  using Spec = const InstructionSpec&;
  s += field_table(table, "TABLE_FIELD_LSB", 16, false, "Field bit offsets.",
                   [](Spec spec, size_t i) { return static_cast<uint64_t>(spec.offsets[i]); });
  s += field_table(table, "TABLE_FIELD_WIDTH", 8, false, "Field widths in bits.",
                   [](Spec spec, size_t i) { return static_cast<uint64_t>(spec.fields[i].width); });
  s += field_table(table, "TABLE_FIELD_KIND", 8, false, "Field kinds (FIELD_KIND_*).",
                   [](Spec spec, size_t i) { return static_cast<uint64_t>(spec.fields[i].kind); });
  s += field_table(table, "TABLE_FIELD_MIN", 64, true, "Smallest valid value (unsigned_int, offset, enumeration).",
                   [](Spec spec, size_t i) { return spec.fields[i].min; });
  s += field_table(table, "TABLE_FIELD_MAX", 64, true, "Largest valid value (unsigned_int, offset, enumeration).",
                   [](Spec spec, size_t i) { return spec.fields[i].max; });
  return s;
}

}  // namespace

std::string systemverilog_package() {
  std::string s;
  s += "// Generated by hwlab_isa_docgen from isa/table.cpp: do not edit.\n";
  s += "// Regenerate: cmake --build <build dir> --target isa_docs_update\n";
  s += "// hwlab co-processor ISA: descriptor layout, opcodes and field positions for the RTL.\n";
  s += "package hwlab_isa_pkg;\n";
  s += "  // Every module uses a few of these constants: no lint warning for the others.\n";
  s += "  /* verilator lint_off UNUSEDPARAM */\n\n";
  s += fmt::format("  localparam int unsigned DESCRIPTOR_BITS = {};\n", kDescriptorBits);
  s += fmt::format("  localparam int unsigned FORMAT_VERSION = {};\n", kFormatVersion);
  s += fmt::format("  localparam int unsigned OPCODE_LSB = 0;\n  localparam int unsigned OPCODE_WIDTH = {};\n", kOpcodeBits);
  s += fmt::format("  localparam int unsigned VERSION_LSB = {};\n  localparam int unsigned VERSION_WIDTH = {};\n\n",
                   kVersionShift, kVersionBits);
  s += "  // Global address: {reserved, plane, node, gpu, offset}\n";
  s += fmt::format("  localparam int unsigned ADDR_OFFSET_LSB = 0;\n  localparam int unsigned ADDR_OFFSET_WIDTH = {};\n", kOffsetBits);
  s += fmt::format("  localparam int unsigned ADDR_GPU_LSB = {};\n  localparam int unsigned ADDR_GPU_WIDTH = {};\n", kGpuShift, kGpuBits);
  s += fmt::format("  localparam int unsigned ADDR_NODE_LSB = {};\n  localparam int unsigned ADDR_NODE_WIDTH = {};\n", kNodeShift, kNodeBits);
  s += fmt::format("  localparam int unsigned ADDR_PLANE_LSB = {};\n  localparam int unsigned ADDR_PLANE_WIDTH = {};\n",
                   kPlaneShift, kPlaneBits);
  s += fmt::format("  localparam int unsigned ADDR_USED_BITS = {};\n", kAddressUsedBits);
  s += "  // Destination set: {plane, node, gpu mask}\n";
  s += "  localparam int unsigned DSET_MASK_LSB = 0;\n  localparam int unsigned DSET_MASK_WIDTH = 8;\n";
  s += fmt::format("  localparam int unsigned DSET_NODE_LSB = 8;\n  localparam int unsigned DSET_NODE_WIDTH = {};\n", kNodeBits);
  s += fmt::format("  localparam int unsigned DSET_PLANE_LSB = {};\n  localparam int unsigned DSET_PLANE_WIDTH = {};\n",
                   8 + kNodeBits, kPlaneBits);
  s += "  // GPU: {node, gpu}\n";
  s += fmt::format("  localparam int unsigned GPUID_GPU_LSB = 0;\n  localparam int unsigned GPUID_GPU_WIDTH = {};\n", kGpuBits);
  s += fmt::format("  localparam int unsigned GPUID_NODE_LSB = {};\n  localparam int unsigned GPUID_NODE_WIDTH = {};\n\n",
                   kGpuBits, kNodeBits);

  s += "  typedef enum logic [7:0] {\n";
  const auto& table = instruction_table();
  for (size_t i = 0; i < table.size(); ++i)
    s += fmt::format("    OP_{} = 8'h{:02x}{}  // {}\n", upper_name(table[i].mnemonic), table[i].opcode,
                     i + 1 < table.size() ? "," : "", ascii(table[i].doc));
  s += "  } opcode_e;\n\n";

  for (const EnumSpec* e : all_enums()) {
    int width = 1;
    while ((size_t{1} << width) < e->values.size()) ++width;
    s += fmt::format("  typedef enum logic [{}:0] {{\n", width - 1);
    for (size_t i = 0; i < e->values.size(); ++i)
      s += fmt::format("    {}_{} = {}'d{}{}\n", upper_name(e->name), upper_name(e->values[i].name), width, i,
                       i + 1 < e->values.size() ? "," : "");
    s += fmt::format("  }} {}_e;\n\n", e->name);
  }

  s += "  // Why a descriptor is rejected (isa::Reject, isa/table.h): decoders report the same codes.\n";
  s += "  typedef enum logic [3:0] {\n";
  for (int r = 0; r < kRejectCount; ++r)
    s += fmt::format("    REJECT_{} = 4'd{}{}\n", upper_name(reject_name(static_cast<Reject>(r))), r,
                     r + 1 < kRejectCount ? "," : "");
  s += "  } reject_e;\n\n";

  s += "  // Field kinds (isa::FieldKind, isa/operands.h), as TABLE_FIELD_KIND holds them.\n";
  for (int k = 0; k <= static_cast<int>(FieldKind::accumulator); ++k)
    s += fmt::format("  localparam int unsigned FIELD_KIND_{} = {};\n", upper_name(kind_slug(static_cast<FieldKind>(k))),
                     k);
  s += "\n";

  for (const InstructionSpec& spec : table) {
    const std::string m = upper_name(spec.mnemonic);
    s += fmt::format("  // {} (opcode 0x{:02x})\n", spec.mnemonic, spec.opcode);
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      const std::string f = upper_name(spec.fields[i].name);
      s += fmt::format("  localparam int unsigned {}_{}_LSB = {};\n", m, f, spec.offsets[i]);
      s += fmt::format("  localparam int unsigned {}_{}_WIDTH = {};\n", m, f, spec.fields[i].width);
    }
    s += fmt::format("  localparam logic [{}:0] {}_USED_BITS = {}'h{};\n\n", kDescriptorBits - 1, m, kDescriptorBits,
                     used_mask_hex(spec));
  }
  s += table_constants(table);
  s += "  /* verilator lint_on UNUSEDPARAM */\n";
  s += "endpackage\n";
  return s;
}

}  // namespace hwlab::isa

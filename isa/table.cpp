// The rows. Opcode groups: 0x0_ queue control, 0x1_ data movement, 0x18 synchronisation, 0x2_ data
// type conversion, 0x3_ MoE macro-instructions, 0x4_ compute-side proposals. Opcode 0 is invalid so
// that zeroed memory never decodes as an instruction.
#include "isa/table.h"

#include <array>
#include <cassert>
#include <cctype>

#include "isa/insns/insns.h"

namespace hwlab::isa {
namespace {

constexpr uint64_t kU32Max = 0xffffffffu;
constexpr uint64_t kU24Max = 0xffffffu;
constexpr uint64_t kU16Max = 0xffffu;

FieldSpec address(const char* name, const char* doc) {
  return {name, FieldKind::global_address, kAddressBits, nullptr, 0, 0, false, doc};
}
FieldSpec offset(const char* name, const char* doc) {
  return {name, FieldKind::offset, kOffsetBits, nullptr, 0, kOffsetLimit - 1, true, doc};
}
FieldSpec number(const char* name, int width, uint64_t min, uint64_t max, const char* doc) {
  return {name, FieldKind::unsigned_int, width, nullptr, min, max, false, doc};
}
FieldSpec choice(const char* name, const EnumSpec& e, const char* doc) {
  int width = 1;
  while ((size_t{1} << width) < e.values.size()) ++width;
  return {name, FieldKind::enumeration, width, &e, 0, e.values.size() - 1, false, doc};
}
FieldSpec of_kind(const char* name, FieldKind kind, const char* doc) {
  return {name, kind, kind_width(kind), nullptr, 0, 0, false, doc};
}

// Shared operand descriptions.
const char* const kColsDoc = "elements per row";
const char* const kRowsDoc = "rows, stored one after another";
const char* const kGroupNodesDoc = "nodes of the expert-parallel group (GPUs n0.g0 .. n(nodes-1).g(gpus-1))";
const char* const kGroupGpusDoc = "GPUs per node in the group";
const char* const kPlaneDoc = "scale-out plane of the IB transfers";

std::vector<InstructionSpec> rows() {
  using K = FieldKind;
  return {
      {"NOP", 0x01, "does nothing", &insns::nop, {}, {}},
      {"QUEUE", 0x02, "starts the descriptors of one command queue of one co-processor", &insns::queue,
       {of_kind("coproc", K::gpu, "the GPU whose co-processor runs the queue"),
        number("queue", 4, 0, 15, "command queue of that co-processor")}, {}},
      {"FENCE", 0x03, "orders every earlier descriptor of the queue before every later one", &insns::fence, {}, {}},
      {"LOOP", 0x04, "runs the descriptors from `target` up to here `count` more times", &insns::loop,
       {of_kind("target", K::target, "first descriptor of the loop body (a label at or before LOOP)"),
        number("count", 16, 0, kU16Max, "extra passes over the body")}, {}},

      {"READ", 0x10, "copies bytes from any GPU to the executing GPU (pull)", &insns::read,
       {offset("dst", "destination on the executing GPU"), address("src", "source"),
        number("bytes", 32, 1, kU32Max, "bytes to copy")}, {}},
      {"WRITE", 0x11, "copies bytes from the executing GPU to any GPU (push)", &insns::write,
       {address("dst", "destination"), offset("src", "source on the executing GPU"),
        number("bytes", 32, 1, kU32Max, "bytes to copy")}, {}},
      {"MULTICAST", 0x12, "copies bytes from the executing GPU to every GPU of a destination set",
       &insns::multicast,
       {of_kind("dsts", K::destination_set, "destination GPUs (one node)"),
        offset("dst", "destination offset on every destination GPU"), offset("src", "source on the executing GPU"),
        number("bytes", 32, 1, kU32Max, "bytes to copy")}, {}},
      {"FORWARD", 0x13, "sends bytes once to a forwarder GPU, which scatters them over NVLink in its node",
       &insns::forward,
       {of_kind("dsts", K::destination_set, "final destination GPUs, all in the forwarder's node"),
        number("via", 3, 0, kGpusPerNodeMax - 1, "the forwarder: GPU `via` of the destination node"),
        offset("dst", "destination offset on every destination GPU"), offset("src", "source on the executing GPU"),
        number("bytes", 32, 1, kU32Max, "bytes to send")}, {}},
      {"REDUCE", 0x14, "sums rows of a set of GPUs into the executing GPU in a fixed order, in FP32",
       &insns::reduce,
       {offset("dst", "destination rows on the executing GPU"),
        of_kind("srcs", K::destination_set, "source GPUs, added in ascending GPU order"),
        offset("src", "source rows' offset on every source GPU"), number("cols", 24, 1, kU24Max, kColsDoc),
        number("rows", 16, 1, kU16Max, kRowsDoc), choice("stype", dtype_enum(), "source element type"),
        choice("dtype", dtype_enum(), "destination element type"),
        choice("accumulate", bool_enum(), "yes: the destination's value is the first addend")}, {}},
      {"SIGNAL", 0x18, "sets or adds to a 64-bit counter on any GPU, with release ordering", &insns::signal,
       {address("counter", "the counter (8-byte aligned)"), choice("op", signal_op_enum(), "operation"),
        number("value", 32, 0, kU32Max, "operand"), choice("order", release_enum(), "memory ordering")}, {}},
      {"WAIT", 0x19, "blocks the queue until a local counter meets a condition, with acquire ordering",
       &insns::wait,
       {offset("counter", "the counter on the executing GPU (8-byte aligned)"),
        choice("cond", wait_cond_enum(), "condition"), number("value", 32, 0, kU32Max, "operand"),
        choice("order", acquire_enum(), "memory ordering")}, {}},

      {"CAST", 0x20, "converts rows between FP32, BF16 and FP8 E4M3 with one scale per 1x128 tile",
       &insns::cast,
       {offset("dst", "destination rows on the executing GPU"), offset("src", "source rows on the executing GPU"),
        number("cols", 24, 1, kU24Max, kColsDoc), number("rows", 16, 1, kU16Max, kRowsDoc),
        choice("stype", dtype_enum(), "source element type"),
        choice("dtype", dtype_enum(), "destination element type")}, {}},
      {"LOGFMT.ENC", 0x21, "encodes FP32/BF16 rows as LogFMT-nBit, per 1x128 tile (arXiv 2505.09343 §3.2)",
       &insns::logfmt_enc,
       {offset("dst", "encoded rows on the executing GPU"), offset("src", "source rows on the executing GPU"),
        number("cols", 24, 1, kU24Max, kColsDoc), number("rows", 16, 1, kU16Max, kRowsDoc),
        choice("stype", dtype_enum(), "source element type (fp32 or bf16)"),
        number("bits", 5, 3, 16, "n: bits per element, the sign included")}, {}},
      {"LOGFMT.DEC", 0x22, "decodes LogFMT-nBit rows to FP32/BF16", &insns::logfmt_dec,
       {offset("dst", "decoded rows on the executing GPU"), offset("src", "encoded rows on the executing GPU"),
        number("cols", 24, 1, kU24Max, kColsDoc), number("rows", 16, 1, kU16Max, kRowsDoc),
        choice("dtype", dtype_enum(), "destination element type (fp32 or bf16)"),
        number("bits", 5, 3, 16, "n: bits per element, the sign included")}, {}},

      {"DISPATCH", 0x30, "MoE dispatch: expands a routing table into MULTICAST/FORWARD, then signals the group",
       &insns::dispatch,
       {offset("table", "routing table on the executing GPU (16-byte entries)"),
        number("entries", 32, 0, kU32Max, "routing table entries"),
        offset("src", "token rows on the executing GPU (row r at src + r*bytes)"),
        offset("dst", "receive rows on every GPU (row r at dst + r*bytes)"),
        number("bytes", 24, 1, kU24Max, "bytes per token row"),
        offset("counter", "arrival counter on every GPU of the group, +1 from each sender when it is done"),
        number("nodes", 12, 1, kNodesMax, kGroupNodesDoc),
        number("gpus", 4, 1, kGpusPerNodeMax, kGroupGpusDoc), number("plane", 3, 0, kPlanesMax - 1, kPlaneDoc)},
       {}},
      {"COMBINE", 0x31, "MoE combine: expands a routing table into REDUCE/WRITE (one stage per descriptor)",
       &insns::combine,
       {choice("stage", combine_stage_enum(), "which side of the combine this descriptor runs"),
        offset("table", "routing table on the executing GPU (16-byte entries)"),
        number("entries", 32, 0, kU32Max, "routing table entries"),
        number("cols", 24, 1, kU24Max, "elements per BF16 token row"),
        offset("y", "expert-output rows on every GPU (row r at y + r*2*cols)"),
        offset("gather", "rows of forwarded partial sums on the token owners"),
        offset("staging", "forward stage: one row per entry on the executing GPU"),
        offset("scratch", "final stage: one FP32 row per token on the executing GPU"),
        offset("out", "final stage: combined BF16 token rows on the executing GPU"),
        offset("counter", "forward stage: counter on every GPU of the group, +1 when done"),
        number("nodes", 12, 1, kNodesMax, kGroupNodesDoc),
        number("gpus", 4, 1, kGpusPerNodeMax, kGroupGpusDoc), number("plane", 3, 0, kPlanesMax - 1, kPlaneDoc)},
       {}},

      {"MMA.FP8", 0x40, "FP8 GEMM with a chosen accumulation width and group scaling (isa/numerics)",
       &insns::mma_fp8,
       {offset("d", "M x N FP32 output, row-major"), offset("a", "M x K FP8 codes, row-major"),
        offset("b", "N x K FP8 codes, row-major"), offset("sa", "scales of A"), offset("sb", "scales of B"),
        number("m", 16, 1, kU16Max, "M"), number("n", 16, 1, kU16Max, "N"), number("k", 16, 1, kU16Max, "K"),
        choice("format", fp8_format_enum(), "operand format"),
        of_kind("acc", K::accumulator, "accumulation: fp32, or F fraction bits kept after alignment"),
        choice("scaling", scaling_enum(), "scaling granularity"),
        number("promotion", 16, 0, kU16Max, "promotion interval N_C in elements of K (0: none)"),
        choice("group_scaled", bool_enum(), "scales applied inside the MMA, per product")}, {}},
      {"LDTRANS", 0x41, "loads a row-major tile transposed (the transposed operand path)", &insns::ldtrans,
       {offset("dst", "cols x rows tile, row-major"), offset("src", "rows x cols tile, row-major"),
        number("rows", 16, 1, kU16Max, "rows of the source tile"),
        number("cols", 16, 1, kU16Max, "columns of the source tile"),
        number("esize", 3, 1, 4, "bytes per element: 1, 2 or 4")}, {}},
      {"WCAST", 0x42, "warp-level FP8 cast of one 1x128 tile (32 lanes x 4) with its scale", &insns::wcast,
       {offset("dst", "128 FP8 codes, then the FP32 scale"), offset("src", "128 source elements"),
        choice("stype", dtype_enum(), "source element type (fp32 or bf16)"),
        choice("format", fp8_format_enum(), "FP8 format")}, {}},
  };
}

// First-fit placement (see table.h).
std::vector<int> place_fields(const InstructionSpec& spec) {
  std::array<bool, kDescriptorBits> used{};
  std::vector<int> offsets;
  for (const FieldSpec& f : spec.fields) {
    assert(f.width > 0 && f.width <= 64);
    int placed = -1;
    for (int o = kHeaderBits; o + f.width <= kDescriptorBits && placed < 0; ++o) {
      if (o / 64 != (o + f.width - 1) / 64) continue;
      bool free = true;
      for (int b = o; b < o + f.width && free; ++b) free = !used[static_cast<size_t>(b)];
      if (free) placed = o;
    }
    assert(placed >= 0 && "instruction fields do not fit in a descriptor");
    for (int b = placed; b < placed + f.width; ++b) used[static_cast<size_t>(b)] = true;
    offsets.push_back(placed);
  }
  return offsets;
}

}  // namespace

int InstructionSpec::field_index(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (name == fields[i].name) return static_cast<int>(i);
  return -1;
}

const std::vector<InstructionSpec>& instruction_table() {
  static const std::vector<InstructionSpec> table = [] {
    std::vector<InstructionSpec> t = rows();
    for (auto& spec : t) {
      assert(spec.fields.size() <= kMaxFields);
      spec.offsets = place_fields(spec);
    }
    return t;
  }();
  return table;
}

const InstructionSpec* find_opcode(unsigned opcode) {
  static const std::array<const InstructionSpec*, 256> by_opcode = [] {
    std::array<const InstructionSpec*, 256> a{};
    for (const auto& spec : instruction_table()) {
      assert(!a[spec.opcode] && "duplicate opcode");
      a[spec.opcode] = &spec;
    }
    return a;
  }();
  return opcode < 256 ? by_opcode[opcode] : nullptr;
}

const InstructionSpec* find_mnemonic(std::string_view mnemonic) {
  for (const auto& spec : instruction_table()) {
    std::string_view m = spec.mnemonic;
    if (m.size() != mnemonic.size()) continue;
    bool same = true;
    for (size_t i = 0; i < m.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>(mnemonic[i])) == m[i];
    if (same) return &spec;
  }
  return nullptr;
}

std::vector<std::string> mnemonics() {
  std::vector<std::string> out;
  for (const auto& spec : instruction_table()) out.emplace_back(spec.mnemonic);
  return out;
}

}  // namespace hwlab::isa

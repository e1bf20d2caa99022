#include "isa/operands.h"

#include <cassert>

#include <fmt/format.h>

namespace hwlab::isa {

std::string GpuId::str() const { return fmt::format("n{}.g{}", node, gpu); }

std::string GlobalAddress::str() const { return fmt::format("p{}.{}:{:#x}", plane, where.str(), offset); }

std::vector<GpuId> DestinationSet::gpus() const {
  std::vector<GpuId> out;
  for (unsigned g = 0; g < kGpusPerNodeMax; ++g)
    if (mask & (1u << g)) out.push_back({node, g});
  return out;
}

std::string mask_str(uint8_t mask) {
  std::string s = "g{";
  bool first = true;
  for (unsigned g = 0; g < kGpusPerNodeMax; ++g) {
    if (!(mask & (1u << g))) continue;
    if (!first) s += ",";
    s += std::to_string(g);
    first = false;
  }
  return s + "}";
}

std::string DestinationSet::str() const { return fmt::format("p{}.n{}.{}", plane, node, mask_str(mask)); }

uint64_t pack_address(const GlobalAddress& a) {
  assert(a.plane < kPlanesMax && a.where.node < kNodesMax && a.where.gpu < kGpusPerNodeMax);
  assert(a.offset < kOffsetLimit);
  return uint64_t{a.plane} << kPlaneShift | uint64_t{a.where.node} << kNodeShift |
         uint64_t{a.where.gpu} << kGpuShift | a.offset;
}

GlobalAddress unpack_address(uint64_t bits) {
  GlobalAddress a;
  a.offset = bits & (kOffsetLimit - 1);
  a.where.gpu = static_cast<unsigned>((bits >> kGpuShift) & (kGpusPerNodeMax - 1));
  a.where.node = static_cast<unsigned>((bits >> kNodeShift) & (kNodesMax - 1));
  a.plane = static_cast<unsigned>((bits >> kPlaneShift) & (kPlanesMax - 1));
  return a;
}

uint64_t pack_gpu(const GpuId& g) { return uint64_t{g.node} << kGpuBits | g.gpu; }

GpuId unpack_gpu(uint64_t bits) {
  return {static_cast<unsigned>((bits >> kGpuBits) & (kNodesMax - 1)),
          static_cast<unsigned>(bits & (kGpusPerNodeMax - 1))};
}

uint64_t pack_destination_set(const DestinationSet& d) {
  return uint64_t{d.plane} << (kNodeBits + 8) | uint64_t{d.node} << 8 | d.mask;
}

DestinationSet unpack_destination_set(uint64_t bits) {
  DestinationSet d;
  d.mask = static_cast<uint8_t>(bits & 0xff);
  d.node = static_cast<unsigned>((bits >> 8) & (kNodesMax - 1));
  d.plane = static_cast<unsigned>((bits >> (kNodeBits + 8)) & (kPlanesMax - 1));
  return d;
}

int EnumSpec::find(std::string_view n) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (n == values[i].name) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> EnumSpec::names() const {
  std::vector<std::string> out;
  for (const auto& v : values) out.emplace_back(v.name);
  return out;
}

const EnumSpec& dtype_enum() {
  static const EnumSpec e{"dtype",
                          {{"fp32", "IEEE binary32, 4 bytes per element"},
                           {"bf16", "bfloat16, 2 bytes per element"},
                           {"e4m3s", "FP8 E4M3 codes of the row, then one FP32 scale per 1x128 tile (DeepSeek-V3 "
                                     "dispatch payload: 7168 + 56 x 4 = 7392 bytes for a 7168-wide token)"},
                           {"e4m3u", "FP8 E4M3 codes of the row, then one UE8M0 scale byte per 1x128 tile "
                                     "(power-of-two scales)"}}};
  return e;
}

const EnumSpec& fp8_format_enum() {
  static const EnumSpec e{"fp8", {{"e4m3", "OCP FP8 E4M3 (max 448)"}, {"e5m2", "OCP FP8 E5M2 (max 57344)"}}};
  return e;
}

const EnumSpec& signal_op_enum() {
  static const EnumSpec e{"signal_op",
                          {{"set", "counter = value (a flag)"}, {"add", "counter = counter + value (mod 2^64)"}}};
  return e;
}

const EnumSpec& wait_cond_enum() {
  static const EnumSpec e{"wait_cond", {{"ge", "counter >= value"}, {"eq", "counter == value"}}};
  return e;
}

const EnumSpec& release_enum() {
  static const EnumSpec e{"release_order",
                          {{"relaxed", "no ordering"},
                           {"release", "every earlier access of the queue is visible before the counter changes"}}};
  return e;
}

const EnumSpec& acquire_enum() {
  static const EnumSpec e{"acquire_order",
                          {{"relaxed", "no ordering"},
                           {"acquire", "no later access of the queue starts before the condition holds"}}};
  return e;
}

const EnumSpec& combine_stage_enum() {
  static const EnumSpec e{"combine_stage",
                          {{"forward", "forwarder: reduce this node's partial sums, send one copy over IB"},
                           {"final", "owner: add the partial sums of its table in table order into FP32 scratch, rounding each token once after its last entry"}}};
  return e;
}

const EnumSpec& scaling_enum() {
  static const EnumSpec e{"scaling",
                          {{"tensor", "one FP32 scale for A and one for B"},
                           {"tile", "DeepSeek-V3: A per 1x128 tile, B per 128x128 block, FP32"},
                           {"mx", "OCP MX: UE8M0 per 32 elements of K, A and B"}}};
  return e;
}

const EnumSpec& bool_enum() {
  static const EnumSpec e{"bool", {{"no", "off"}, {"yes", "on"}}};
  return e;
}

std::vector<const EnumSpec*> all_enums() {
  return {&dtype_enum(),   &fp8_format_enum(),    &signal_op_enum(), &wait_cond_enum(), &release_enum(),
          &acquire_enum(), &combine_stage_enum(), &scaling_enum(),   &bool_enum()};
}

int kind_width(FieldKind kind) {
  switch (kind) {
    case FieldKind::global_address: return kAddressBits;
    case FieldKind::offset: return kOffsetBits;
    case FieldKind::gpu: return kNodeBits + kGpuBits;
    case FieldKind::destination_set: return kPlaneBits + kNodeBits + 8;
    case FieldKind::gpu_mask: return 8;
    case FieldKind::target: return 16;
    case FieldKind::accumulator: return 6;
    case FieldKind::unsigned_int:
    case FieldKind::enumeration: return 0;
  }
  return 0;
}

const char* kind_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::global_address: return "global address";
    case FieldKind::offset: return "offset";
    case FieldKind::gpu: return "GPU";
    case FieldKind::destination_set: return "destination set";
    case FieldKind::gpu_mask: return "GPU mask";
    case FieldKind::unsigned_int: return "unsigned";
    case FieldKind::enumeration: return "enumeration";
    case FieldKind::target: return "descriptor index";
    case FieldKind::accumulator: return "accumulator";
  }
  return "?";
}

const char* kind_syntax(FieldKind kind) {
  switch (kind) {
    case FieldKind::global_address: return "p0.n1.g2:0x1000";
    case FieldKind::offset: return "0x1000";
    case FieldKind::gpu: return "n1.g2";
    case FieldKind::destination_set: return "p0.n1.g{0,2}";
    case FieldKind::gpu_mask: return "g{0,2}";
    case FieldKind::unsigned_int: return "64";
    case FieldKind::enumeration: return "name";
    case FieldKind::target: return "label";
    case FieldKind::accumulator: return "fp32 | 13";
  }
  return "?";
}

}  // namespace hwlab::isa

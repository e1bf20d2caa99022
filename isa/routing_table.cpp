#include "isa/routing_table.h"

#include <fmt/format.h>

#include "isa/operands.h"

namespace hwlab::isa {

const char* entry_kind_name(EntryKind kind) {
  switch (kind) {
    case EntryKind::multicast: return "multicast";
    case EntryKind::forward: return "forward";
    case EntryKind::reduce_forward: return "reduce_forward";
    case EntryKind::pull: return "pull";
    case EntryKind::partial: return "partial";
  }
  return "?";
}

std::array<uint8_t, kRoutingEntryBytes> encode_entry(const RoutingEntry& e) {
  std::array<uint8_t, kRoutingEntryBytes> b{};
  for (int i = 0; i < 4; ++i) {
    b[static_cast<size_t>(i)] = static_cast<uint8_t>(e.row_a >> (8 * i));
    b[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(e.row_b >> (8 * i));
  }
  b[8] = static_cast<uint8_t>(e.node);
  b[9] = static_cast<uint8_t>(e.node >> 8);
  b[10] = e.gpu;
  b[11] = e.mask;
  b[12] = static_cast<uint8_t>(e.kind);
  b[13] = e.flags;
  return b;
}

std::string decode_entry(const uint8_t* b, RoutingEntry& e) {
  e.row_a = e.row_b = 0;
  for (int i = 3; i >= 0; --i) {
    e.row_a = e.row_a << 8 | b[i];
    e.row_b = e.row_b << 8 | b[4 + i];
  }
  e.node = static_cast<uint16_t>(b[8] | b[9] << 8);
  e.gpu = b[10];
  e.mask = b[11];
  e.flags = b[13];
  if (b[14] || b[15]) return "reserved bytes 14..15 are not zero";
  if (b[12] > static_cast<uint8_t>(EntryKind::partial)) return fmt::format("kind {} is not 0..4", b[12]);
  e.kind = static_cast<EntryKind>(b[12]);
  if (e.node >= kNodesMax) return fmt::format("node {} is not below {}", e.node, kNodesMax);
  if (e.gpu >= kGpusPerNodeMax) return fmt::format("gpu {} is not below {}", e.gpu, kGpusPerNodeMax);
  if (e.mask == 0) return "the GPU mask is empty";
  if (e.flags & ~(kEntryFirst | kEntryLast)) return fmt::format("flags {:#x} has bits other than first|last", e.flags);
  return "";
}

}  // namespace hwlab::isa

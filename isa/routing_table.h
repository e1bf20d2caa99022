// Routing tables of the DISPATCH and COMBINE macro-instructions: 16-byte little-endian entries in the
// memory of the executing GPU, written by the host (isa/moe generates them from a workload's routing).
//
//   bytes 0..3   row_a   DISPATCH: source token row; COMBINE: row of y (pull, reduce_forward) or of
//                        gather (partial) read on the source GPUs
//   bytes 4..7   row_b   DISPATCH: receive row on the destinations; COMBINE forward stage: gather row
//                        on the owner; final stage: the token's output row
//   bytes 8..9   node    the node of the GPUs named by gpu/mask
//   byte 10      gpu     forward: the forwarder's GPU; reduce_forward: the owner's GPU; else 0
//   byte 11      mask    GPUs of `node` (destinations, or sources of a reduction)
//   byte 12      kind    0 multicast, 1 forward (DISPATCH); 2 reduce_forward (COMBINE forward stage);
//                        3 pull, 4 partial (COMBINE final stage)
//   byte 13      flags   final stage: bit 0 first addend of the token, bit 1 last (then round and store)
//   bytes 14..15 reserved, zero
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace hwlab::isa {

inline constexpr uint64_t kRoutingEntryBytes = 16;

enum class EntryKind : uint8_t { multicast = 0, forward = 1, reduce_forward = 2, pull = 3, partial = 4 };
inline constexpr uint8_t kEntryFirst = 1, kEntryLast = 2;

struct RoutingEntry {
  uint32_t row_a = 0, row_b = 0;
  uint16_t node = 0;
  uint8_t gpu = 0, mask = 0;
  EntryKind kind = EntryKind::multicast;
  uint8_t flags = 0;
};

std::array<uint8_t, kRoutingEntryBytes> encode_entry(const RoutingEntry& e);
// "" and the entry, or what is wrong with the bytes.
std::string decode_entry(const uint8_t* bytes, RoutingEntry& out);
const char* entry_kind_name(EntryKind kind);

}  // namespace hwlab::isa

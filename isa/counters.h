// What the executor counts: descriptors executed and bytes moved, per instruction and per link
// class, and per (source GPU, destination GPU) pair. The link class of a transfer is derived from
// its two ends: the same GPU is local, the same node NVLink, anything else IB.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "isa/operands.h"

namespace hwlab::isa {

enum class LinkClass : uint8_t { local = 0, nvlink = 1, ib = 2 };
inline constexpr int kLinkClasses = 3;
const char* link_class_name(LinkClass c);  // "local", "nvlink", "ib"
LinkClass link_class(GpuId from, GpuId to);

struct InstructionCounters {
  uint64_t executed = 0;
  std::array<uint64_t, kLinkClasses> bytes{};
};

using PairBytes = std::map<std::pair<GpuId, GpuId>, uint64_t>;  // (from, to) -> bytes

struct Counters {
  std::map<std::string, InstructionCounters> by_instruction;  // by mnemonic
  std::array<uint64_t, kLinkClasses> bytes{};                 // every transfer
  std::array<uint64_t, kPlanesMax> ib_bytes_by_plane{};
  std::array<PairBytes, kLinkClasses> data_pairs;  // payload transfers (everything but SIGNAL)
  std::array<PairBytes, kLinkClasses> sync_pairs;  // SIGNAL's counter updates
  uint64_t steps = 0;                              // descriptors executed, macro expansions included

  // The table `hwlab isa run` prints.
  std::string table() const;
};

}  // namespace hwlab::isa

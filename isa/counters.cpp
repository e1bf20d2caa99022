#include "isa/counters.h"

#include <fmt/format.h>

namespace hwlab::isa {

const char* link_class_name(LinkClass c) {
  switch (c) {
    case LinkClass::local: return "local";
    case LinkClass::nvlink: return "nvlink";
    case LinkClass::ib: return "ib";
  }
  return "?";
}

LinkClass link_class(GpuId from, GpuId to) {
  if (from == to) return LinkClass::local;
  return from.node == to.node ? LinkClass::nvlink : LinkClass::ib;
}

std::string Counters::table() const {
  std::string s = fmt::format("{:<12} {:>10} {:>16} {:>16} {:>16}\n", "instruction", "executed", "local_bytes",
                              "nvlink_bytes", "ib_bytes");
  for (const auto& [name, c] : by_instruction)
    s += fmt::format("{:<12} {:>10} {:>16} {:>16} {:>16}\n", name, c.executed, c.bytes[0], c.bytes[1], c.bytes[2]);
  s += fmt::format("{:<12} {:>10} {:>16} {:>16} {:>16}\n", "total", steps, bytes[0], bytes[1], bytes[2]);
  std::string planes;
  for (unsigned p = 0; p < kPlanesMax; ++p)
    if (ib_bytes_by_plane[p]) planes += fmt::format(" p{}={}", p, ib_bytes_by_plane[p]);
  if (!planes.empty()) s += "ib bytes by plane:" + planes + "\n";
  return s;
}

}  // namespace hwlab::isa

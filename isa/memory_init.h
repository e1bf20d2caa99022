// The memory image of `hwlab isa run --memory init.yaml`: the windows each queue is granted and the
// initial contents of memory regions (schema in the reference and below). Errors are UserErrors at
// file:line:column naming the key.
//
//   windows:
//     - {queue: n0.g0.q0, at: n1.g0:0x0, bytes: 0x100000, access: rw}
//   regions:
//     - {at: n0.g0:0x1000, dtype: bf16, values: [1.0, -2.5]}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isa/memory.h"

namespace hwlab::isa {

struct MemoryRegion {
  GpuId gpu;
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
};

struct MemoryImage {
  std::vector<Window> windows;
  std::vector<MemoryRegion> regions;
};

MemoryImage parse_memory_image(std::string_view yaml, const std::string& file_name);
MemoryImage load_memory_image(const std::string& path);
void apply(const MemoryImage& image, Memory& memory);

// The element types of regions and --dump: u8 u16 u32 u64 fp32 bf16 e4m3 e5m2, and hex (dump only).
struct ElementType {
  const char* name;
  int bytes;
  bool is_float;
};
const ElementType* find_element_type(std::string_view name);
std::vector<std::string> element_type_names();
// One element of `type` at p, printed ("1.5", "0x1f", "-3"); floats exactly as decoded.
std::string format_element(const ElementType& type, const uint8_t* p);

// A --dump request "GPU:OFFSET:BYTES[:TYPE]" (n1.g0:0x1000:64:bf16; hex by default). UserError on
// bad syntax, so that a command can check its requests before it runs anything.
struct DumpRequest {
  std::string spec;
  GpuId gpu;
  uint64_t offset = 0, bytes = 0;
  const ElementType* type = nullptr;
};
DumpRequest parse_dump(std::string_view spec);
std::string dump_memory(const Memory& memory, const DumpRequest& request);
inline std::string dump_memory(const Memory& memory, std::string_view spec) { return dump_memory(memory, parse_dump(spec)); }

}  // namespace hwlab::isa

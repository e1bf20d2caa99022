// Operand kinds of the co-processor ISA: what a field of a descriptor can hold, how wide it is, how it
// is written in assembly and how it is checked. The instruction table (table.h) names a kind for
// every field; the encoder, decoder, assembler, disassembler and documentation all read it from here.
//
// Global addresses span NVLink and IB alike: (plane, node, GPU, offset). Widths cover a 16 384-GPU
// multi-plane fat-tree (8 planes x 2048 nodes x 8 GPUs, arXiv 2505.09343 §5.1) with a 2^40-byte
// offset per GPU. The plane chooses the scale-out network plane an IB transfer takes; it is not part
// of the memory location (the same byte is reached through any plane).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hwlab::isa {

inline constexpr int kOffsetBits = 40;
inline constexpr int kGpuBits = 3;
inline constexpr int kNodeBits = 11;
inline constexpr int kPlaneBits = 3;
inline constexpr int kAddressBits = 64;  // the 7 bits above the plane are reserved (zero)
inline constexpr int kGpuShift = kOffsetBits;
inline constexpr int kNodeShift = kGpuShift + kGpuBits;
inline constexpr int kPlaneShift = kNodeShift + kNodeBits;
inline constexpr int kAddressUsedBits = kPlaneShift + kPlaneBits;  // 57
inline constexpr unsigned kGpusPerNodeMax = 1u << kGpuBits;
inline constexpr unsigned kNodesMax = 1u << kNodeBits;
inline constexpr unsigned kPlanesMax = 1u << kPlaneBits;
inline constexpr uint64_t kOffsetLimit = uint64_t{1} << kOffsetBits;

// One GPU of the cluster (no plane: a GPU is the same whichever plane reaches it).
struct GpuId {
  unsigned node = 0;
  unsigned gpu = 0;
  bool operator==(const GpuId& o) const { return node == o.node && gpu == o.gpu; }
  bool operator!=(const GpuId& o) const { return !(*this == o); }
  bool operator<(const GpuId& o) const { return node != o.node ? node < o.node : gpu < o.gpu; }
  std::string str() const;  // "n3.g1"
};

struct GlobalAddress {
  unsigned plane = 0;
  GpuId where;
  uint64_t offset = 0;
  std::string str() const;  // "p0.n3.g1:0x1000"
};

// The GPUs of one node selected by a mask (bit g = GPU g), reached through `plane`.
struct DestinationSet {
  unsigned plane = 0;
  unsigned node = 0;
  uint8_t mask = 0;
  std::vector<GpuId> gpus() const;  // ascending
  std::string str() const;          // "p0.n3.g{0,2}"
};

uint64_t pack_address(const GlobalAddress& a);
GlobalAddress unpack_address(uint64_t bits);  // ignores the reserved bits
uint64_t pack_gpu(const GpuId& g);            // node << 3 | gpu
GpuId unpack_gpu(uint64_t bits);
uint64_t pack_destination_set(const DestinationSet& d);  // plane << 19 | node << 8 | mask
DestinationSet unpack_destination_set(uint64_t bits);
std::string mask_str(uint8_t mask);  // "g{0,2}"

// What a field holds.
enum class FieldKind : uint8_t {
  global_address,   // 64 bits: plane, node, GPU, offset; `p0.n1.g2:0x1000` (plane optional)
  offset,           // 40 bits: a byte offset on a GPU the field's doc names; an expression
  gpu,              // 14 bits: node, GPU; `n1.g2`
  destination_set,  // 22 bits: plane, node, GPU mask; `p0.n1.g{0,2}` (plane optional)
  gpu_mask,         // 8 bits: GPUs of a node; `g{0,2}`
  unsigned_int,     // an expression in [min, max]
  enumeration,      // a name from the field's list
  target,           // a descriptor index (a label); LOOP
  accumulator,      // 6 bits: `fp32` (0) or an alignment width F in [10, 40]
};

// One named value of an enumerated field; its code is its index in the list.
struct EnumValue {
  const char* name;
  const char* doc;
};
struct EnumSpec {
  const char* name;  // the type's name in the reference ("dtype")
  std::vector<EnumValue> values;
  int find(std::string_view name) const;  // -1 when absent
  std::vector<std::string> names() const;
};

// The enumerations the table uses.
const EnumSpec& dtype_enum();          // fp32, bf16, e4m3s, e4m3u
const EnumSpec& fp8_format_enum();     // e4m3, e5m2
const EnumSpec& signal_op_enum();      // set, add
const EnumSpec& wait_cond_enum();      // ge, eq
const EnumSpec& release_enum();        // relaxed, release
const EnumSpec& acquire_enum();        // relaxed, acquire
const EnumSpec& combine_stage_enum();  // forward, final
const EnumSpec& scaling_enum();        // tensor, tile, mx
const EnumSpec& bool_enum();           // no, yes
std::vector<const EnumSpec*> all_enums();

// Element types of rows that REDUCE, CAST and the macros read and write (codes of dtype_enum()).
enum class Dtype : uint8_t { fp32 = 0, bf16 = 1, e4m3s = 2, e4m3u = 3 };

// Fixed width of a kind (0 for unsigned_int and enumeration, whose width the field gives).
int kind_width(FieldKind kind);
const char* kind_name(FieldKind kind);         // "global address", ...
const char* kind_syntax(FieldKind kind);       // "p0.n1.g2:0x1000", ...

}  // namespace hwlab::isa

// A seeded generator of random valid instructions: random values of every field kind within the
// field's range, redrawn until the row's own cross-field rules accept them.
#include <cassert>

#include "isa/encoding.h"
#include "tests/isa_core/isa_test_util.h"

namespace hwlab::isa::test {
namespace {

uint64_t uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

// Small values half of the time: they are the ones programs use, and they print differently.
uint64_t offset_value(std::mt19937_64& rng) {
  return uniform(rng, 0, 1) ? uniform(rng, 0, 0x10000) : uniform(rng, 0, kOffsetLimit - 1);
}

uint64_t field_value(const FieldSpec& f, std::mt19937_64& rng) {
  switch (f.kind) {
    case FieldKind::global_address:
      return pack_address({static_cast<unsigned>(uniform(rng, 0, kPlanesMax - 1)),
                           {static_cast<unsigned>(uniform(rng, 0, kNodesMax - 1)),
                            static_cast<unsigned>(uniform(rng, 0, kGpusPerNodeMax - 1))},
                           offset_value(rng)});
    case FieldKind::offset: return offset_value(rng);
    case FieldKind::gpu:
      return pack_gpu({static_cast<unsigned>(uniform(rng, 0, kNodesMax - 1)),
                       static_cast<unsigned>(uniform(rng, 0, kGpusPerNodeMax - 1))});
    case FieldKind::destination_set:
      return pack_destination_set({static_cast<unsigned>(uniform(rng, 0, kPlanesMax - 1)),
                                   static_cast<unsigned>(uniform(rng, 0, kNodesMax - 1)),
                                   static_cast<uint8_t>(uniform(rng, 1, 255))});
    case FieldKind::gpu_mask: return uniform(rng, 1, 255);
    case FieldKind::target: return uniform(rng, 0, 1) ? uniform(rng, 0, 16) : uniform(rng, 0, 0xffff);
    case FieldKind::accumulator: return uniform(rng, 0, 3) == 0 ? 0 : uniform(rng, 10, 40);
    case FieldKind::unsigned_int:
    case FieldKind::enumeration:
      return uniform(rng, 0, 1) ? uniform(rng, f.min, std::min(f.max, f.min + 16)) : uniform(rng, f.min, f.max);
  }
  return 0;
}

}  // namespace

Instruction random_instruction(const InstructionSpec& spec, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Instruction insn;
    insn.spec = &spec;
    for (size_t i = 0; i < spec.fields.size(); ++i) insn.values[i] = field_value(spec.fields[i], rng);
    // Counters must be 8-byte aligned: align every address and offset half of the time instead of
    // hoping for it.
    if (uniform(rng, 0, 1))
      for (size_t i = 0; i < spec.fields.size(); ++i)
        if (spec.fields[i].kind == FieldKind::global_address || spec.fields[i].kind == FieldKind::offset)
          insn.values[i] &= ~uint64_t{7};
    if (validate(insn).empty()) return insn;
  }
  assert(false && "no valid instruction found");
  return {};
}

Program random_program(size_t count, std::mt19937_64& rng) {
  const auto& table = instruction_table();
  Program p;
  for (size_t i = 0; i < count; ++i) {
    Instruction insn = random_instruction(table[uniform(rng, 0, table.size() - 1)], rng);
    insn.index = static_cast<int>(i);
    p.descriptors.push_back(insn);
  }
  return p;
}

}  // namespace hwlab::isa::test

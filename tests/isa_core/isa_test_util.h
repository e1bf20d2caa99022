// Helpers shared by the test_isa files: assembling test programs, granting windows, running them,
// reading memory, and a seeded generator of random valid instructions.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "isa/assembler.h"
#include "isa/executor.h"
#include "isa/memory.h"
#include "isa/numerics/formats.h"
#include "isa/rows.h"

namespace hwlab::isa::test {

// Every queue of `queues` may read and write every byte of every listed GPU.
inline std::vector<Window> grant_all(const std::vector<QueueId>& queues, const std::vector<GpuId>& gpus) {
  std::vector<Window> w;
  for (const QueueId& q : queues)
    for (const GpuId& g : gpus) w.push_back({q, g, 0, kOffsetLimit, kRead | kWrite});
  return w;
}

inline QueueId q(unsigned node, unsigned gpu, unsigned queue = 0) { return {{node, gpu}, queue}; }
inline GpuId g(unsigned node, unsigned gpu) { return {node, gpu}; }

inline Program asm_text(const std::string& text) { return assemble(text, "test.s"); }

// Runs `text` on `memory` with `windows`; returns the counters.
inline Counters run(Memory& memory, const std::string& text, std::vector<Window> windows) {
  Executor e(memory, std::move(windows));
  e.run(asm_text(text));
  return e.counters();
}

inline void put_floats(Memory& m, GpuId gpu, uint64_t offset, const std::vector<float>& v) {
  std::vector<uint8_t> b(4 * v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const uint32_t bits = numerics::float_bits(v[i]);
    for (size_t j = 0; j < 4; ++j) b[4 * i + j] = static_cast<uint8_t>(bits >> (8 * j));
  }
  m.write(gpu, offset, b);
}

inline std::vector<float> get_floats(const Memory& m, GpuId gpu, uint64_t offset, size_t n) {
  const std::vector<uint8_t> b = m.read(gpu, offset, 4 * n);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = 0;
    for (int j = 3; j >= 0; --j) bits = bits << 8 | b[4 * i + static_cast<size_t>(j)];
    v[i] = numerics::float_from_bits(bits);
  }
  return v;
}

inline void put_bf16(Memory& m, GpuId gpu, uint64_t offset, const std::vector<float>& v) {
  m.write(gpu, offset, bf16_row(v));
}

inline std::vector<float> get_bf16(const Memory& m, GpuId gpu, uint64_t offset, size_t n) {
  const std::vector<uint8_t> b = m.read(gpu, offset, 2 * n);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = numerics::bf16_to_float(static_cast<uint16_t>(b[2 * i] | b[2 * i + 1] << 8));
  return v;
}

// A valid instruction of `spec` with random field values (LOOP targets anywhere in 16 bits).
Instruction random_instruction(const InstructionSpec& spec, std::mt19937_64& rng);
// `count` random valid instructions of random rows, indices set.
Program random_program(size_t count, std::mt19937_64& rng);

}  // namespace hwlab::isa::test

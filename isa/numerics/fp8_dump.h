// Reading the FP8 probe dumps (format: fp8_dump_format.h) and checking them against the models.
//
// read_dump() validates everything it reads and reports a bad file as a UserError naming the file,
// the byte offset and what was expected ("probe.bin: offset 544: record 'wgmma/e4m3' needs 16384
// bytes of A, 100 remain (truncated file?)").
//
// check_record() recomputes a record's outputs with a model hypothesis and counts the outputs whose
// FP32 bits equal the GPU's. A hypothesis names the block-FMA model (a preset, with modifiers: see
// presets.h), the promotion interval and, for block-scaled records, how the scale arrays are laid
// out. default_hypothesis() is what we believe each hardware path does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "isa/numerics/fp8_dump_format.h"

namespace hwlab::numerics {

struct DumpSample {
  uint32_t i, j, bits;
};

struct DumpRecord {
  dump::RecordHeader header;
  std::string name, model_name, library;  // the header's text fields
  std::string file;
  size_t offset = 0;  // of the record header in the file
  std::vector<uint8_t> a, b;
  std::vector<float> scale_a, scale_b;
  std::vector<uint32_t> c;  // empty when c_mode is none
  std::vector<uint32_t> d;  // full records
  std::vector<DumpSample> samples;

  dump::Path path() const { return static_cast<dump::Path>(header.path); }
  bool sampled() const { return header.kind == static_cast<uint32_t>(dump::RecordKind::sampled); }
};

// Parses a whole dump held in `bytes`; `file` names it in messages.
std::vector<DumpRecord> parse_dump(const std::string& bytes, const std::string& file);
std::vector<DumpRecord> read_dump(const std::string& path);

const char* path_name(dump::Path path);

// How block scales are stored: "k-inner" (row r's K groups contiguous: s[r * groups + g]) or
// "mn-inner" (s[g * rows + r]).
enum class ScaleLayout { k_inner, mn_inner };

struct Hypothesis {
  std::string model;     // preset name, e.g. "h100-fp8" or "h100-fp8,c=after"
  int promotion = 0;     // N_C in elements of K; 0: never (one MMA chain over all of K)
  // How the block scales of A and of B are stored (cuBLASLt on H100/H200: A mn-inner, B k-inner).
  ScaleLayout scale_layout_a = ScaleLayout::mn_inner;
  ScaleLayout scale_layout_b = ScaleLayout::k_inner;
  // Order in which the hardware path feeds K to its blocks, within each 32 elements: "" (as
  // stored), or "pairs" (mma.sync FP8 on sm_90 as compiled to two HMMA.16816: elements 4t, 4t+1 and
  // 16+4t, 16+4t+1 of each thread t form the first 16-product block, the other pairs the second).
  std::string k_order;
  std::string str() const;  // "h100-fp8 nc=128 k-inner"
};

// cuBLASLt's default (non-fast) FP8 mode: promotion interval found by the probes (see
// isa/numerics/README.md and papers/measurements/2026-11-23-fp8-probes.md).
inline constexpr int kCublasLtPromotion = 128;

Hypothesis default_hypothesis(const DumpRecord& record);

struct Mismatch {
  uint32_t i, j;
  uint32_t gpu_bits, model_bits;
};

struct CheckResult {
  size_t matches = 0;
  size_t total = 0;
  std::vector<Mismatch> first;  // up to max_mismatches of them
};

// The model's outputs for the record under `h` (full records: m*n, row-major; sampled: one per
// sample). Throws UserError when the hypothesis does not apply (e.g. a model that cannot run a
// promotion interval).
std::vector<uint32_t> model_outputs(const DumpRecord& record, const Hypothesis& h);

CheckResult check_record(const DumpRecord& record, const Hypothesis& h, size_t max_mismatches = 8);

}  // namespace hwlab::numerics

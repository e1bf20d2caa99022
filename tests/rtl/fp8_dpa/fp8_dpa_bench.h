// The FP8 dot-product-accumulate bench (tests/rtl/fp8_dpa): the reference D of one input from the
// C++ models of isa/numerics, and a stream of inputs driven through a Verilated model
// (rtl/fp8_dpa/fp8_dpa_sim.h) with random gaps and back-pressure, every output compared with the
// reference. The vectors are in fp8_dpa_vectors.h, the checks in the test_fp8_dpa*.cpp files.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/presets.h"
#include "rtl/fp8_dpa/fp8_dpa_sim.h"
#include "rtl/fp8_dpa/fp8_dpa_variants.h"

namespace hwlab::rtl::fp8_dpa_test {

namespace nx = hwlab::numerics;

// An unsigned environment knob (HWLAB_RTL_VECTORS, HWLAB_RTL_SEED), `fallback` when unset or empty.
uint64_t env_u64(const char* name, uint64_t fallback);

// The row `name` of kFp8DpaVariants (fp8_dpa_variants.h); FAILs the test case when there is none.
const Fp8DpaVariant& variant(const std::string& name);

inline nx::Format format_of(const Fp8DpaInput& in) { return in.e5m2 ? nx::Format::e5m2 : nx::Format::e4m3; }

inline uint32_t f32(float x) { return nx::float_bits(x); }

// ------------------------------------------------------------------------------------------------
// References

// The group-scaled block: numerics::gemm with group_scaled_mma and MX scales builds its products
// this way (gemm.cpp, code_products), but gemm() always starts a block from C = +0; this applies
// the same block to any C. The test "the group-scaled reference is numerics::gemm's group-scaled
// MMA" (test_fp8_dpa.cpp) holds the two together. A NaN scale (0xFF), which the model refuses,
// gives NaN in the RTL.
uint32_t scaled_block(const nx::BlockFmaModel& model, const Fp8DpaInput& in, int n);

struct Reference {
  const Fp8DpaVariant* v;
  nx::BlockFmaModel model;

  explicit Reference(const Fp8DpaVariant& var) : v(&var), model(nx::preset(var.model)) {}

  // D of one block (one input of the unit).
  uint32_t operator()(const Fp8DpaInput& in) const {
    const int n = v->products;
    if (v->scaled) return scaled_block(model, in, n);
    double a[32], b[32];
    for (int i = 0; i < n; ++i) {
      a[i] = nx::decode(format_of(in), in.a[i]);
      b[i] = nx::decode(format_of(in), in.b[i]);
    }
    // One block of the unit is dot() over N elements: one block_fma for the block models, N chained
    // one-product blocks for fp32-acc.
    return nx::float_bits(nx::dot(model, a, b, n, nx::float_from_bits(in.c), format_of(in)));
  }
};

// ------------------------------------------------------------------------------------------------
// Driving the unit

std::string hex32(uint32_t x);

// One input as text: format, the first n codes of a and b, C, and the scales when `scaled`.
std::string describe(const Fp8DpaInput& in, int n, bool scaled);

struct Mismatch {
  Fp8DpaInput input;
  uint32_t got = 0, want = 0;
};

struct RunResult {
  uint64_t vectors = 0;
  uint64_t mismatches = 0;
  uint64_t protocol_errors = 0;
  std::vector<Mismatch> first;   // the first few mismatches
  std::vector<uint32_t> outputs; // in order (kept only when asked)
  // What the vectors exercised: results that are NaN, infinite, zero, subnormal, normal.
  uint64_t nan = 0, inf = 0, zero = 0, subnormal = 0, normal = 0;
  // Adds another run's counts (and its first mismatches, up to 8 in all); outputs stay this run's.
  void add(const RunResult& r) {
    vectors += r.vectors;
    mismatches += r.mismatches;
    protocol_errors += r.protocol_errors;
    nan += r.nan;
    inf += r.inf;
    zero += r.zero;
    subnormal += r.subnormal;
    normal += r.normal;
    for (const Mismatch& m : r.first)
      if (first.size() < 8) first.push_back(m);
  }
  void count_class(uint32_t d) {
    const uint32_t e = (d >> 23) & 0xFF, f = d & 0x7FFFFF;
    if (e == 0xFF) {
      ++(f != 0 ? nan : inf);
    } else if (e == 0) {
      ++(f != 0 ? subnormal : zero);
    } else {
      ++normal;
    }
  }
};

// Back-pressure: how often the producer has a vector ready and the consumer takes the output.
struct Pressure {
  int valid_percent = 80;
  int ready_percent = 70;
};

// Streams `count` vectors (gen(i)) through the unit with random gaps and back-pressure and
// compares every output with ref(input). The unit must keep an output stable while it is not
// taken, and deliver outputs in order.
RunResult run_stream(Fp8DpaSim& sim, uint64_t count, const std::function<Fp8DpaInput(uint64_t)>& gen,
                     const std::function<uint32_t(const Fp8DpaInput&)>& ref, std::mt19937_64& rng,
                     Pressure pressure, bool keep_outputs = false);

// Reports a run: every mismatch found is printed with its vector, both results and the model; with
// HWLAB_RTL_TRACE set, the first one is run again alone with an FST waveform. CHECKs that the run
// had no protocol error and no mismatch.
void report(const Fp8DpaVariant& v, const char* what, const RunResult& r);

}  // namespace hwlab::rtl::fp8_dpa_test

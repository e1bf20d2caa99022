// The FP8 dot-product-accumulate bench's vectors: crafted chains of blocks (the probes' vectors of
// isa/numerics/probe_inputs.h and special values) and random inputs of several styles.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "rtl/fp8_dpa/fp8_dpa_sim.h"
#include "rtl/fp8_dpa/fp8_dpa_variants.h"

namespace hwlab::rtl::fp8_dpa_test {

// Chains of blocks: `blocks` inputs of N products; block j > 0 takes the unit's own D of block
// j - 1 as its C (the accumulator chained through the unit, as an MMA chain does).
struct Chain {
  std::vector<Fp8DpaInput> blocks;
  std::vector<uint8_t> a, b;  // the whole K, for dot()
  uint32_t c = 0;
  bool e5m2 = false;
};

// The blocks of N = n products over the whole K of a and b (the last one padded with +0 codes),
// every block with C = c and the given scales.
Chain make_chain(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, uint32_t c, bool e5m2, int n,
                 uint8_t scale_a = 127, uint8_t scale_b = 127);

// The probes' crafted vectors (every feature, every variant, both formats) and special values.
std::vector<Chain> crafted_chains(const Fp8DpaVariant& v);

// A random code of the format; NaN and infinity codes only when `allow_special`.
uint8_t random_code(std::mt19937_64& rng, bool e5m2, bool allow_special);

// A code with exponent field in [lo, hi] (clamped to the finite codes), random sign and fraction.
uint8_t code_in_binades(std::mt19937_64& rng, bool e5m2, int lo, int hi);

// A random C for `in`: zeros, any bits, subnormals, huge values and specials, near minus the
// products' sum, moderate normals.
uint32_t random_c(std::mt19937_64& rng, const Fp8DpaInput& in, int n);

// A random input of variant v: random codes of both formats in one of several styles, random C,
// random scales for the scaled variants.
Fp8DpaInput random_input(std::mt19937_64& rng, const Fp8DpaVariant& v);

}  // namespace hwlab::rtl::fp8_dpa_test

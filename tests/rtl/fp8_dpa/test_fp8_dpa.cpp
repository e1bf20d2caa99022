// The FP8 dot-product-accumulate unit (rtl/fp8_dpa) against the C++ models of isa/numerics, every
// output bit, through the unit's valid/ready interface with random gaps and back-pressure:
//   - crafted vectors: the probes' (isa/numerics/probe_inputs.h, every feature and variant, both
//     formats, chained through the unit where they span several blocks) and special values (NaN,
//     infinities, zeros of both signs, subnormals, the largest normals, cancellation);
//   - random vectors: random codes of both formats in several styles, random C including specials.
// Environment:
//   HWLAB_RTL_VECTORS=N   random vectors per variant (default 20000; the full check runs 1000000)
//   HWLAB_RTL_SEED=S      random seed (default 1)
//   HWLAB_RTL_TRACE=FILE  re-run the first failing vector with an FST waveform into FILE (needs the
//                         traced bench: cmake --build <dir> --target test_rtl_fp8_dpa_traced)
// A mismatch is a finding about the RTL: the models were checked against H100/H200 hardware.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "isa/numerics/block_fma.h"
#include "isa/numerics/block_fma_detail.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "isa/numerics/probe_inputs.h"
#include "rtl/fp8_dpa/fp8_dpa_sim.h"
#include "rtl/fp8_dpa/fp8_dpa_variants.h"

namespace nx = hwlab::numerics;
using hwlab::rtl::Fp8DpaInput;
using hwlab::rtl::Fp8DpaSim;
using hwlab::rtl::Fp8DpaVariant;

namespace {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

const Fp8DpaVariant& variant(const std::string& name) {
  for (const Fp8DpaVariant& v : hwlab::rtl::kFp8DpaVariants) {
    if (name == v.name) return v;
  }
  FAIL("no variant " << name);
  std::abort();
}

nx::Format format_of(const Fp8DpaInput& in) { return in.e5m2 ? nx::Format::e5m2 : nx::Format::e4m3; }

// ------------------------------------------------------------------------------------------------
// References

// The group-scaled block: numerics::gemm with group_scaled_mma and MX scales builds its products
// this way (gemm.cpp, code_products), but gemm() always starts a block from C = +0; this applies
// the same block to any C. The test "scaled reference = numerics::gemm" below holds the two
// together. A NaN scale (0xFF), which the model refuses, gives NaN in the RTL.
uint32_t scaled_block(const nx::BlockFmaModel& model, const Fp8DpaInput& in, int n) {
  namespace d = nx::detail;
  if (in.scale_a == 0xFF || in.scale_b == 0xFF) return 0x7FFFFFFFu;
  const nx::Format f = format_of(in);
  const nx::FormatInfo& fi = nx::format_info(f);
  const int scale_exponent = int{in.scale_a} + int{in.scale_b} - 254;
  struct Operand {
    d::Special special = d::Special::none;
    bool zero = false, negative = false;
    int64_t significand = 0;
    int lsb = 0, exponent = 0;
  };
  auto operand = [&](uint8_t code) {
    Operand o;
    o.negative = (code & 0x80) != 0;
    if (nx::is_nan_code(f, code)) {
      o.special = d::Special::nan;
    } else if (nx::is_inf_code(f, code)) {
      o.special = o.negative ? d::Special::neg_inf : d::Special::pos_inf;
    } else {
      const uint32_t field = (code >> fi.fraction_bits) & ((1u << fi.exponent_bits) - 1u);
      const uint32_t frac = code & ((1u << fi.fraction_bits) - 1u);
      const int64_t sig = field == 0 ? frac : (frac | (1u << fi.fraction_bits));
      o.zero = sig == 0;
      o.significand = o.negative ? -sig : sig;
      o.exponent = field == 0 ? fi.min_exponent : static_cast<int>(field) - fi.bias;
      o.lsb = o.exponent - fi.fraction_bits;
    }
    return o;
  };
  std::vector<d::Term> terms;
  d::BlockProducts p;
  for (int i = 0; i < n; ++i) {
    const Operand x = operand(in.a[i]), y = operand(in.b[i]);
    const d::Special s = d::product_special(x.special, x.zero, x.negative, y.special, y.zero, y.negative);
    if (s != d::Special::none) {
      p.special = d::combine(p.special, s);
      continue;
    }
    if (x.zero || y.zero) {
      p.zeros_all_negative = p.zeros_all_negative && (x.negative != y.negative);
      continue;
    }
    d::Term t;
    t.significand = x.significand * y.significand;
    t.lsb_exponent = x.lsb + y.lsb + scale_exponent;
    t.alignment_exponent = x.exponent + y.exponent + scale_exponent;
    terms.push_back(t);
  }
  p.terms = terms.data();
  p.count = static_cast<int>(terms.size());
  d::BlockValue acc;
  d::load(acc, nx::float_from_bits(in.c));
  d::run_block(model, p, acc);
  return nx::float_bits(d::finish(model, acc));
}

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

std::string hex32(uint32_t x) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08X", x);
  return s;
}

std::string describe(const Fp8DpaInput& in, int n, bool scaled) {
  std::string s = std::string(in.e5m2 ? "e5m2" : "e4m3") + " a=";
  char buf[8];
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", in.a[i]);
    s += buf;
  }
  s += " b=";
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", in.b[i]);
    s += buf;
  }
  s += " c=" + hex32(in.c);
  if (scaled) s += " scale_a=" + std::to_string(in.scale_a) + " scale_b=" + std::to_string(in.scale_b);
  return s;
}

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
                     Pressure pressure, bool keep_outputs = false) {
  RunResult r;
  struct Pending {
    Fp8DpaInput input;
    uint32_t want;
  };
  std::deque<Pending> in_flight;
  Fp8DpaInput next;
  bool have_next = false;
  uint64_t submitted = 0, received = 0;
  bool held = false;  // last cycle: out_valid && !out_ready
  uint32_t held_d = 0;
  const uint64_t cycle_limit = sim.cycles() + 100 * count + 1000;
  sim.reset();
  while (received < count) {
    if (sim.cycles() > cycle_limit) {
      FAIL("the unit stopped: " << received << " of " << count << " outputs after " << sim.cycles()
                                << " cycles");
    }
    if (!have_next && submitted < count &&
        static_cast<int>(rng() % 100) < pressure.valid_percent) {
      next = gen(submitted);
      have_next = true;
    }
    const bool out_ready = static_cast<int>(rng() % 100) < pressure.ready_percent;
    sim.drive(have_next, next, out_ready);
    if (held && (!sim.out_valid() || sim.out_d() != held_d)) ++r.protocol_errors;
    if (sim.out_valid() && out_ready) {
      if (in_flight.empty()) {
        ++r.protocol_errors;  // an output nobody asked for
      } else {
        const Pending p = in_flight.front();
        in_flight.pop_front();
        const uint32_t got = sim.out_d();
        r.count_class(p.want);
        if (keep_outputs) r.outputs.push_back(got);
        if (got != p.want) {
          ++r.mismatches;
          if (r.first.size() < 8) r.first.push_back({p.input, got, p.want});
        }
        ++received;
      }
    }
    held = sim.out_valid() && !out_ready;
    held_d = sim.out_d();
    if (have_next && sim.in_ready()) {
      in_flight.push_back({next, ref(next)});
      have_next = false;
      ++submitted;
    }
    sim.clock();
  }
  r.vectors = count;
  return r;
}

// Reports a run: every mismatch found is printed with its vector, both results and the model; with
// HWLAB_RTL_TRACE set, the first one is run again alone with an FST waveform.
void report(const Fp8DpaVariant& v, const char* what, const RunResult& r) {
  INFO(v.name << " (V" << v.rtl_name << ", model " << v.model << "): " << what);
  for (const Mismatch& m : r.first) {
    std::printf("rtl fp8_dpa %s mismatch: %s: rtl %s, model %s\n", v.name,
                describe(m.input, v.products, v.scaled).c_str(), hex32(m.got).c_str(), hex32(m.want).c_str());
  }
  if (!r.first.empty()) {
    if (const char* path = std::getenv("HWLAB_RTL_TRACE"); path != nullptr && *path != '\0') {
      if (!hwlab::rtl::tracing_available()) {
        WARN("HWLAB_RTL_TRACE: this bench has no tracing; build and run test_rtl_fp8_dpa_traced");
      } else {
        auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name, path);
        std::mt19937_64 rng(1);
        const Fp8DpaInput first = r.first.front().input;
        Reference ref(v);
        run_stream(*sim, 1, [&](uint64_t) { return first; }, ref, rng, Pressure{100, 100});
        WARN("waveform of the first mismatch: " << path);
      }
    }
  }
  auto u = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("rtl fp8_dpa %-12s %-8s vectors %8llu  mismatches %llu  protocol errors %llu  "
              "(results: %llu NaN, %llu inf, %llu zero, %llu subnormal, %llu normal)\n",
              v.name, what, u(r.vectors), u(r.mismatches), u(r.protocol_errors), u(r.nan), u(r.inf), u(r.zero),
              u(r.subnormal), u(r.normal));
  CHECK(r.protocol_errors == 0);
  CHECK(r.mismatches == 0);
}

// ------------------------------------------------------------------------------------------------
// Vectors

uint32_t f32(float x) { return nx::float_bits(x); }

// Chains of blocks: `blocks` inputs of N products; block j > 0 takes the unit's own D of block
// j - 1 as its C (the accumulator chained through the unit, as an MMA chain does).
struct Chain {
  std::vector<Fp8DpaInput> blocks;
  std::vector<uint8_t> a, b;  // the whole K, for dot()
  uint32_t c = 0;
  bool e5m2 = false;
};

Chain make_chain(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, uint32_t c, bool e5m2, int n,
                 uint8_t scale_a = 127, uint8_t scale_b = 127) {
  Chain ch;
  ch.a = a;
  ch.b = b;
  ch.c = c;
  ch.e5m2 = e5m2;
  const int k = static_cast<int>(a.size());
  for (int start = 0; start < k; start += n) {
    Fp8DpaInput in;
    in.e5m2 = e5m2;
    for (int i = 0; i < n; ++i) {
      in.a[i] = start + i < k ? a[static_cast<size_t>(start + i)] : 0;
      in.b[i] = start + i < k ? b[static_cast<size_t>(start + i)] : 0;
    }
    in.c = c;
    in.scale_a = scale_a;
    in.scale_b = scale_b;
    ch.blocks.push_back(in);
  }
  return ch;
}

// The probes' crafted vectors (every feature, every variant, both formats) and special values.
std::vector<Chain> crafted_chains(const Fp8DpaVariant& v) {
  std::vector<Chain> chains;
  const int n = v.products;
  for (bool e5m2 : {false, true}) {
    for (uint32_t what = 0; what < static_cast<uint32_t>(nx::probe::Crafted::count_); ++what) {
      const auto w = static_cast<nx::probe::Crafted>(what);
      const int k = w == nx::probe::Crafted::chain ? 128 : 32;
      for (int variant_index = 0; variant_index < nx::probe::kCraftedVariants; ++variant_index) {
        std::vector<uint8_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
        uint32_t c = 0;
        nx::probe::crafted_pair(w, variant_index, e5m2, k, a.data(), b.data(), &c);
        chains.push_back(make_chain(a, b, c, e5m2, n));
        if (v.scaled) chains.push_back(make_chain(a, b, c, e5m2, n, 130, 119));
      }
    }
    // The promotion probe's rows (a 2^8 product among 2^-6 ones), K = 128.
    for (int row = 0; row < 8; ++row) {
      std::vector<uint8_t> a(128), b(128);
      for (int col = 0; col < 128; ++col) {
        a[static_cast<size_t>(col)] = nx::probe::promotion_probe_a(e5m2, row, col, 128);
        b[static_cast<size_t>(col)] = nx::probe::promotion_probe_b(e5m2, row, 16);
      }
      chains.push_back(make_chain(a, b, 0, e5m2, n));
    }
  }
  // Special values, one block each (the first N products).
  auto pow2 = [](bool e5m2, int e, bool neg = false) { return nx::probe::pow2_code(e5m2, e, neg); };
  for (bool e5m2 : {false, true}) {
    const uint8_t nan = e5m2 ? 0x7F : 0x7F, neg_nan = e5m2 ? 0xFD : 0xFF;
    const uint8_t one = pow2(e5m2, 0), max = e5m2 ? 0x7B : 0x7E, min_sub = 0x01, max_sub = e5m2 ? 0x03 : 0x07;
    const uint32_t cs[] = {0u, 0x80000000u, f32(1.0f), f32(-1.0f), 0x7FC00000u, 0xFFFFFFFFu, 0x7F800001u,
                           0x7F800000u, 0xFF800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x00000001u, 0x807FFFFFu,
                           0x00800000u, 0x80800000u, f32(448.0f * 448.0f * 32.0f), f32(-0x1p-30f),
                           // around the exact unit's window (2^-60 .. 2^62) and below a tie's half ulp
                           f32(0x1p62f), f32(-0x1p62f), 0x5E7FFFFFu, f32(0x1p63f), f32(0x1p-60f),
                           f32(-0x1p-60f), f32(-0x1p-100f), f32(0x1.8p-36f)};
    std::vector<std::vector<std::pair<uint8_t, uint8_t>>> blocks;
    auto block = [&](std::initializer_list<std::pair<uint8_t, uint8_t>> prs) { blocks.emplace_back(prs); };
    block({});                                        // all +0 * +0
    block({{0x80, 0x00}, {0x00, 0x80}});              // -0 products among +0 ones
    std::vector<std::pair<uint8_t, uint8_t>> neg_zeros(static_cast<size_t>(n), {0x80, 0x00});
    blocks.push_back(neg_zeros);                      // every product -0
    block({{nan, one}});
    block({{one, neg_nan}, {one, one}});
    block({{0x00, 0x00}, {max, max}, {max, max}});
    block({{min_sub, min_sub}, {max_sub, max_sub}, {min_sub, one}});  // subnormal operands
    block({{max, max}, {static_cast<uint8_t>(max | 0x80), max}});  // exact cancellation of the largest
    block({{pow2(e5m2, 8), one}, {pow2(e5m2, -8), pow2(e5m2, -8)}});  // 256 + 2^-16: a tie at 24 bits
    block({{pow2(e5m2, 8), one}, {pow2(e5m2, -8, true), pow2(e5m2, -8)}});
    std::vector<std::pair<uint8_t, uint8_t>> all_max(static_cast<size_t>(n), {max, max});
    blocks.push_back(all_max);                        // the largest products, n times
    std::vector<std::pair<uint8_t, uint8_t>> cancel;
    for (int i = 0; i + 1 < n; i += 2) {
      const uint8_t x = static_cast<uint8_t>(0x20 + 3 * i);
      cancel.push_back({x, one});
      cancel.push_back({static_cast<uint8_t>(x | 0x80), one});
    }
    blocks.push_back(cancel);                         // products cancelling pairwise
    if (e5m2) {
      block({{0x7C, one}});                           // +inf
      block({{0xFC, one}, {0x7C, 0x7C}});             // -inf and +inf: NaN
      block({{0x7C, 0x00}});                          // inf * 0: NaN
      block({{0x7C, 0xFC}, {0xFC, 0xFC}});            // -inf and +inf
      block({{0x7C, max}, {max, max}});
    }
    for (const auto& prs : blocks) {
      for (uint32_t c : cs) {
        std::vector<uint8_t> a(static_cast<size_t>(n), 0), b(static_cast<size_t>(n), 0);
        for (size_t i = 0; i < prs.size() && i < a.size(); ++i) {
          a[i] = prs[i].first;
          b[i] = prs[i].second;
        }
        chains.push_back(make_chain(a, b, c, e5m2, n));
        if (v.scaled) {
          for (auto [sa, sb] : {std::pair<uint8_t, uint8_t>{254, 254}, {0, 0}, {0, 254}, {200, 180},
                                {60, 40}, {255, 127}, {127, 255}}) {
            chains.push_back(make_chain(a, b, c, e5m2, n, sa, sb));
          }
        }
      }
    }
  }
  return chains;
}

uint8_t random_code(std::mt19937_64& rng, bool e5m2, bool allow_special) {
  while (true) {
    const auto code = static_cast<uint8_t>(rng());
    if (allow_special || !nx::probe::fp8_special(e5m2, code)) return code;
  }
}

// A code with exponent field in [lo, hi] (clamped to the finite codes), random sign and fraction.
uint8_t code_in_binades(std::mt19937_64& rng, bool e5m2, int lo, int hi) {
  const int mbits = e5m2 ? 2 : 3;
  const int top = e5m2 ? 30 : 15;
  const int field = std::min(top, lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)));
  auto code = static_cast<uint8_t>((rng() & 0x80) | (field << mbits) | (rng() & ((1u << mbits) - 1)));
  if (nx::probe::fp8_special(e5m2, code)) code = static_cast<uint8_t>(code - 1);
  return code;
}

uint32_t random_c(std::mt19937_64& rng, const Fp8DpaInput& in, int n) {
  const int pick = static_cast<int>(rng() % 100);
  const uint32_t sign = static_cast<uint32_t>(rng() & 1) << 31;
  if (pick < 8) return sign;                                      // +-0
  if (pick < 16) return static_cast<uint32_t>(rng());             // any bits: NaNs, infinities, ...
  if (pick < 20) return sign | static_cast<uint32_t>(rng() % 0x800000u);  // subnormal
  if (pick < 23) {                                                // huge, specials
    const uint32_t big[] = {0x7F7FFFFFu, 0x7F000000u, 0x7F800000u, 0x7FC00000u, 0x7F800001u, 0x5F000000u};
    return sign | big[rng() % 6];
  }
  if (pick < 55) {  // near minus the products' sum (cancellation with C), or a few ulps off it
    double s = 0;
    for (int i = 0; i < n; ++i) {
      const double x = nx::decode(format_of(in), in.a[i]) * nx::decode(format_of(in), in.b[i]);
      if (std::isfinite(x)) s += x;
    }
    if (rng() % 4 == 0) s = std::ldexp(s, static_cast<int>(rng() % 9) - 4);
    uint32_t bits = f32(static_cast<float>(-s));
    if (rng() % 2) bits += static_cast<uint32_t>(rng() % 5) - 2u;
    return bits;
  }
  // a normal number of moderate size, 2^-40 .. 2^40
  const uint32_t exponent = static_cast<uint32_t>(127 - 40 + static_cast<int>(rng() % 81));
  return sign | (exponent << 23) | static_cast<uint32_t>(rng() & 0x7FFFFFu);
}

Fp8DpaInput random_input(std::mt19937_64& rng, const Fp8DpaVariant& v) {
  Fp8DpaInput in;
  const int n = v.products;
  in.e5m2 = (rng() & 1) != 0;
  const bool e5m2 = in.e5m2;
  const int top = e5m2 ? 30 : 15;
  const int style = static_cast<int>(rng() % 8);
  switch (style) {
    case 0:  // uniformly random finite codes
      for (int i = 0; i < n; ++i) {
        in.a[i] = random_code(rng, e5m2, false);
        in.b[i] = random_code(rng, e5m2, false);
      }
      break;
    case 1:  // any code: NaN and infinity operands
      for (int i = 0; i < n; ++i) {
        in.a[i] = random_code(rng, e5m2, rng() % 16 == 0);
        in.b[i] = random_code(rng, e5m2, rng() % 16 == 0);
      }
      break;
    case 2:
    case 3: {  // products of similar size: carries, cancellation, the alignment boundary
      const int lo = static_cast<int>(rng() % static_cast<uint64_t>(top - 2));
      const int width = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, lo, std::min(top, lo + width));
        in.b[i] = code_in_binades(rng, e5m2, lo, std::min(top, lo + width));
      }
      break;
    }
    case 4: {  // products cancelling pairwise, a few perturbed
      for (int i = 0; i + 1 < n; i += 2) {
        in.a[i] = random_code(rng, e5m2, false);
        in.b[i] = random_code(rng, e5m2, false);
        in.a[i + 1] = static_cast<uint8_t>(in.a[i] ^ 0x80);
        in.b[i + 1] = in.b[i];
        if (rng() % 8 == 0) in.b[i + 1] = static_cast<uint8_t>(in.b[i + 1] ^ 1);
      }
      break;
    }
    case 5:  // sparse: zeros of both signs, a few non-zero products
      for (int i = 0; i < n; ++i) {
        const bool nz = rng() % 8 == 0;
        in.a[i] = nz ? random_code(rng, e5m2, false) : static_cast<uint8_t>(rng() & 0x80);
        in.b[i] = nz ? random_code(rng, e5m2, false) : static_cast<uint8_t>(rng() & 0x80);
      }
      break;
    case 6:  // subnormal and smallest normal operands
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, 0, 1);
        in.b[i] = rng() % 2 ? code_in_binades(rng, e5m2, 0, 2) : random_code(rng, e5m2, false);
      }
      break;
    default:  // one large product over many small ones (the alignment grid)
      for (int i = 0; i < n; ++i) {
        in.a[i] = code_in_binades(rng, e5m2, 0, top / 2);
        in.b[i] = code_in_binades(rng, e5m2, 0, top / 2);
      }
      in.a[rng() % static_cast<uint64_t>(n)] = code_in_binades(rng, e5m2, top - 3, top);
      break;
  }
  in.c = random_c(rng, in, n);
  if (style == 5 && rng() % 4 == 0) {  // zero products (of both signs) and a tiny C: subnormal results
    for (int i = 0; i < n; ++i) in.a[i] = static_cast<uint8_t>(in.a[i] & 0x80);
    in.c = static_cast<uint32_t>(rng() & 0x80000000u) |
           static_cast<uint32_t>(rng() % (rng() % 2 ? 0x800000u : 0x2000000u));
  }
  if (v.scaled) {
    auto scale = [&]() -> uint8_t {
      const int pick = static_cast<int>(rng() % 100);
      if (pick < 70) return static_cast<uint8_t>(117 + rng() % 21);  // 2^-10 .. 2^10
      if (pick < 98) return static_cast<uint8_t>(rng() % 255);       // any finite scale
      return pick == 98 ? 0 : 0xFF;                                   // the smallest, NaN
    };
    in.scale_a = scale();
    in.scale_b = scale();
  }
  return in;
}

// ------------------------------------------------------------------------------------------------
// Checks

void check_crafted(const std::string& name) {
  const Fp8DpaVariant& v = variant(name);
  const Reference ref(v);
  auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
  REQUIRE(sim != nullptr);
  std::vector<Chain> chains = crafted_chains(v);
  std::mt19937_64 rng(env_u64("HWLAB_RTL_SEED", 1));
  // Round j sends block j of every chain that has one, C = the unit's D of block j - 1.
  std::vector<uint32_t> acc(chains.size());
  for (size_t i = 0; i < chains.size(); ++i) acc[i] = chains[i].c;
  RunResult total;
  for (size_t round = 0;; ++round) {
    std::vector<size_t> active;
    for (size_t i = 0; i < chains.size(); ++i) {
      if (round < chains[i].blocks.size()) active.push_back(i);
    }
    if (active.empty()) break;
    std::vector<Fp8DpaInput> inputs;
    for (size_t i : active) {
      Fp8DpaInput in = chains[i].blocks[round];
      in.c = acc[i];
      inputs.push_back(in);
    }
    const RunResult r = run_stream(*sim, inputs.size(), [&](uint64_t j) { return inputs[j]; }, ref, rng,
                                   Pressure{}, true);
    REQUIRE(r.outputs.size() == active.size());
    for (size_t j = 0; j < active.size(); ++j) acc[active[j]] = r.outputs[j];
    total.vectors += r.vectors;
    total.mismatches += r.mismatches;
    total.protocol_errors += r.protocol_errors;
    total.nan += r.nan;
    total.inf += r.inf;
    total.zero += r.zero;
    total.subnormal += r.subnormal;
    total.normal += r.normal;
    for (const Mismatch& m : r.first) {
      if (total.first.size() < 8) total.first.push_back(m);
    }
  }
  report(v, "crafted", total);
  // Chains longer than one block also equal the model's dot() over all of K (every model here
  // rounds between blocks, except `exact`, whose dot() is one exact sum over K).
  if (!v.scaled && ref.model.normalize_each_block) {
    int checked = 0;
    for (size_t i = 0; i < chains.size(); ++i) {
      std::vector<double> a(chains[i].a.size()), b(chains[i].b.size());
      const nx::Format f = chains[i].e5m2 ? nx::Format::e5m2 : nx::Format::e4m3;
      for (size_t j = 0; j < a.size(); ++j) {
        a[j] = nx::decode(f, chains[i].a[j]);
        b[j] = nx::decode(f, chains[i].b[j]);
      }
      // dot() chains the model's own blocks: for fp32-acc (one product per block) and units of
      // N = products_per_block they are the unit's inputs.
      const uint32_t want = nx::float_bits(nx::dot(ref.model, a.data(), b.data(), static_cast<int>(a.size()),
                                                   nx::float_from_bits(chains[i].c), f));
      INFO("chain " << i << " K=" << a.size() << ": rtl " << hex32(acc[i]) << ", dot " << hex32(want));
      CHECK(acc[i] == want);
      ++checked;
    }
    CHECK(checked > 100);
  }
}

void check_random(const std::string& name) {
  const Fp8DpaVariant& v = variant(name);
  const Reference ref(v);
  auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
  REQUIRE(sim != nullptr);
  const uint64_t count = env_u64("HWLAB_RTL_VECTORS", 20000);
  uint64_t name_hash = 0xCBF29CE484222325ull;  // FNV-1a: a stream per variant, the same everywhere
  for (char ch : name) name_hash = (name_hash ^ static_cast<unsigned char>(ch)) * 0x100000001B3ull;
  std::mt19937_64 rng(env_u64("HWLAB_RTL_SEED", 1) * 0x9E3779B97F4A7C15ull + name_hash);
  std::mt19937_64 gen_rng = rng;
  gen_rng.discard(7);
  const RunResult r = run_stream(*sim, count, [&](uint64_t) { return random_input(gen_rng, v); }, ref, rng,
                                 Pressure{85, 75});
  report(v, "random", r);
}

}  // namespace

TEST_CASE("fp8_dpa h100-fp8: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("h100-fp8"); }
TEST_CASE("fp8_dpa h100-fp8: random vectors", "[rtl][fp8_dpa]") { check_random("h100-fp8"); }
TEST_CASE("fp8_dpa ada-fp8: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("ada-fp8"); }
TEST_CASE("fp8_dpa ada-fp8: random vectors", "[rtl][fp8_dpa]") { check_random("ada-fp8"); }
TEST_CASE("fp8_dpa acc-16: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-16"); }
TEST_CASE("fp8_dpa acc-16: random vectors", "[rtl][fp8_dpa]") { check_random("acc-16"); }
TEST_CASE("fp8_dpa acc-20: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-20"); }
TEST_CASE("fp8_dpa acc-20: random vectors", "[rtl][fp8_dpa]") { check_random("acc-20"); }
TEST_CASE("fp8_dpa acc-25: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-25"); }
TEST_CASE("fp8_dpa acc-25: random vectors", "[rtl][fp8_dpa]") { check_random("acc-25"); }
TEST_CASE("fp8_dpa acc-16-rne: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("acc-16-rne"); }
TEST_CASE("fp8_dpa acc-16-rne: random vectors", "[rtl][fp8_dpa]") { check_random("acc-16-rne"); }
TEST_CASE("fp8_dpa fp32-acc: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("fp32-acc"); }
TEST_CASE("fp8_dpa fp32-acc: random vectors", "[rtl][fp8_dpa]") { check_random("fp32-acc"); }
TEST_CASE("fp8_dpa exact: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("exact"); }
TEST_CASE("fp8_dpa exact: random vectors", "[rtl][fp8_dpa]") { check_random("exact"); }
TEST_CASE("fp8_dpa h100-fp8-mx: crafted and special vectors", "[rtl][fp8_dpa]") { check_crafted("h100-fp8-mx"); }
TEST_CASE("fp8_dpa h100-fp8-mx: random vectors", "[rtl][fp8_dpa]") { check_random("h100-fp8-mx"); }

// The variant table (fp8_dpa_variants.h) is the one list of parameter values: fp8_dpa.cmake makes
// each Verilated model from it, `hwlab rtl area` gives it to Yosys. Its values must be those of the
// isa/numerics model the row names (the random vectors check the same through behaviour), and
// every row must have its model, with its ARCH's latency.
TEST_CASE("fp8_dpa: every variant's parameters are its isa/numerics model's", "[rtl][fp8_dpa]") {
  using Arch = hwlab::rtl::Fp8DpaArch;
  using M = nx::BlockFmaModel;
  for (const Fp8DpaVariant& v : hwlab::rtl::kFp8DpaVariants) {
    INFO(v.name << " (model " << v.model << ")");
    const M m = nx::preset(v.model);
    CHECK(m.c_placement == M::CPlacement::aligned_with_products);
    CHECK(m.product_exponent == M::ProductExponent::operand_exponent_sum);
    CHECK(!m.operand_format.has_value());
    CHECK((v.products >= 1 && v.products <= 32));  // Fp8DpaInput holds 32 codes, one scale group
    CHECK((v.scaled == 0 || v.arch == Arch::block));
    switch (v.arch) {
      case Arch::block:
        CHECK(!m.exact);
        CHECK(m.normalize_each_block);
        CHECK(v.products == m.products_per_block);
        CHECK(v.align_bits == m.alignment_fraction_bits);
        CHECK(m.align_rounding == (v.align_rne != 0 ? M::AlignRounding::nearest_even
                                                     : M::AlignRounding::truncate_toward_zero));
        CHECK(v.result_bits == m.result_fraction_bits);
        CHECK(m.result_rounding == (v.result_rne != 0 ? M::ResultRounding::nearest_even
                                                       : M::ResultRounding::toward_zero));
        break;
      case Arch::fp32_chain:  // N one-product exact FMA steps, each RNE to FP32
        CHECK(m.exact);
        CHECK(m.products_per_block == 1);
        CHECK(m.result_fraction_bits == 23);
        CHECK(m.result_rounding == M::ResultRounding::nearest_even);
        break;
      case Arch::exact:  // one exact block of N products, RNE to FP32 once
        CHECK(m.exact);
        CHECK(v.products == m.products_per_block);
        CHECK(m.result_fraction_bits == 23);
        CHECK(m.result_rounding == M::ResultRounding::nearest_even);
        break;
    }
    if (v.arch != Arch::block) {  // block parameters are 0 elsewhere (the unit ignores them)
      CHECK(v.align_bits + v.align_rne + v.result_bits + v.result_rne + v.scaled == 0);
    }

    // The Verilated model exists and has its ARCH's latency: the first output is valid this many
    // edges after acceptance (4 stages; fp32 chain: N / 4 stages of 4 FMA steps).
    auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name);
    REQUIRE(sim != nullptr);
    const int latency = v.arch == Arch::fp32_chain ? v.products / 4 : 4;
    sim->reset();
    Fp8DpaInput in;
    for (int i = 0; i < v.products; ++i) in.a[i] = in.b[i] = nx::probe::pow2_code(false, 0);  // 1 * 1
    sim->drive(true, in, true);
    REQUIRE(sim->in_ready());
    sim->clock();
    int edges = 1;
    for (; edges < 64; ++edges) {
      sim->drive(false, in, true);
      if (sim->out_valid()) break;
      sim->clock();
    }
    CHECK(edges == latency);
    // Exactly N products are read: D = N * 1 + 0.
    CHECK(sim->out_d() == f32(static_cast<float>(v.products)));
  }
}

TEST_CASE("fp8_dpa: the group-scaled reference is numerics::gemm's group-scaled MMA", "[rtl][fp8_dpa]") {
  // gemm() starts each block from C = +0 and adds it to an FP32 accumulator that starts at +0:
  // D = 0 + block(C = +0), which turns a -0 into +0.
  const nx::BlockFmaModel model = nx::preset("h100-fp8");
  const Fp8DpaVariant& v = variant("h100-fp8-mx");
  std::mt19937_64 rng(7);
  int compared = 0;
  for (int t = 0; t < 400; ++t) {
    Fp8DpaInput in = random_input(rng, v);
    if (in.scale_a == 0xFF || in.scale_b == 0xFF) continue;
    in.c = 0;
    nx::GemmProblem p;
    p.m = p.n = 1;
    p.k = 32;
    p.format = format_of(in);
    p.a.assign(in.a, in.a + 32);
    p.b.assign(in.b, in.b + 32);
    p.scales.granularity = nx::ScaleGranularity::mx;
    p.scales.a_ue8m0 = {in.scale_a};
    p.scales.b_ue8m0 = {in.scale_b};
    nx::GemmOptions o;
    o.promotion_interval = 32;
    o.group_scaled_mma = true;
    o.threads = 1;
    const uint32_t from_gemm = nx::float_bits(nx::gemm(model, p, o)[0]);
    uint32_t ours = scaled_block(model, in, 32);
    if (ours == 0x80000000u) ours = 0;
    INFO(describe(in, 32, true));
    CHECK(ours == from_gemm);
    ++compared;
  }
  CHECK(compared > 350);
}

TEST_CASE("fp8_dpa: one block per cycle without back-pressure, results in order", "[rtl][fp8_dpa]") {
  for (const char* name : {"h100-fp8", "fp32-acc", "exact"}) {
    const Fp8DpaVariant& v = variant(name);
    const Reference ref(v);
    auto sim = hwlab::rtl::make_fp8_dpa_sim(name);
    std::mt19937_64 rng(3);
    const RunResult r = run_stream(*sim, 200, [&](uint64_t) { return random_input(rng, v); }, ref, rng,
                                   Pressure{100, 100});
    INFO(name << ": " << sim->cycles() << " cycles for 200 blocks");
    CHECK(r.mismatches == 0);
    // reset (2) + 200 accepted back to back + the pipeline's latency (4 stages; 8 for fp32-acc)
    CHECK(sim->cycles() <= 2 + 200 + 8);
  }
}

TEST_CASE("fp8_dpa: FST waveform of a vector (traced bench only)", "[rtl][fp8_dpa]") {
  if (!hwlab::rtl::tracing_available()) {
    SUCCEED("built without tracing (test_rtl_fp8_dpa_traced has it)");
    return;
  }
  const std::string path = (std::filesystem::temp_directory_path() / "hwlab_fp8_dpa_trace_test.fst").string();
  std::remove(path.c_str());
  {
    const Fp8DpaVariant& v = variant("h100-fp8");
    const Reference ref(v);
    auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name, path);
    std::mt19937_64 rng(5);
    const RunResult r = run_stream(*sim, 4, [&](uint64_t) { return random_input(rng, v); }, ref, rng,
                                   Pressure{100, 100});
    CHECK(r.mismatches == 0);
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  const int block_type = std::fgetc(f);  // an FST file starts with its header block (type 0)
  std::fclose(f);
  CHECK(size > 1000);
  CHECK(block_type == 0);
  std::remove(path.c_str());
}

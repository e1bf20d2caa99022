// The RTL streaming reduce unit (rtl/coproc/hwlab_reduce_unit.sv) against isa's REDUCE, bit for bit:
// each case is one REDUCE (random GPUs, accumulate or not, fp32/bf16 in and out, several rows) run by
// the functional executor on a memory image, and the same addends streamed through the RTL in
// REDUCE's order with random valid/ready. Values mix random bits, nearby exponents (rounding and
// cancellation), specials (zeros, infinities, NaNs), subnormals, overflow and BF16 rounding ties.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "Vhwlab_reduce_unit.h"
#include "isa/executor.h"
#include "isa/rows.h"
#include "tests/isa_core/isa_test_util.h"
#include "tests/rtl/coproc/coproc_bench.h"

using namespace hwlab;
using namespace hwlab::isa;
using namespace hwlab::rtl::test;

namespace {

constexpr unsigned kLanes = 4;  // the RTL's LANES
constexpr uint64_t kDst = 0x0, kSrc = 0x100000;

// One REDUCE: addend k of row r is codes[r][k] (cols codes: FP32 bits, or BF16 in the low 16 bits),
// in REDUCE's order -- the destination's row first when accumulating, then the GPUs of `mask`.
struct ReduceCase {
  Dtype stype = Dtype::fp32, dtype = Dtype::fp32;
  bool accumulate = false;
  uint8_t mask = 1;
  uint64_t cols = 1, rows = 1;
  std::vector<std::vector<std::vector<uint32_t>>> codes;

  unsigned addends() const { return static_cast<unsigned>(__builtin_popcount(mask)) + (accumulate ? 1 : 0); }
  Dtype type_of(unsigned k) const { return accumulate && k == 0 ? dtype : stype; }
  std::string str() const {
    return fmt::format("REDUCE srcs=n0.{}, cols={}, rows={}, stype={}, dtype={}, accumulate={}", mask_str(mask), cols,
                       rows, dtype_name(stype), dtype_name(dtype), accumulate ? "yes" : "no");
  }
};

void put_code(std::vector<uint8_t>& bytes, Dtype t, uint64_t i, uint32_t code) {
  const uint64_t size = t == Dtype::bf16 ? 2 : 4;
  for (uint64_t b = 0; b < size; ++b) bytes[size * i + b] = static_cast<uint8_t>(code >> (8 * b));
}

uint32_t get_code(const std::vector<uint8_t>& bytes, Dtype t, uint64_t i) {
  const uint64_t size = t == Dtype::bf16 ? 2 : 4;
  uint32_t code = 0;
  for (uint64_t b = size; b-- > 0;) code = code << 8 | bytes[size * i + b];
  return code;
}

// The reference: the case as one REDUCE instruction run by isa's executor; the destination rows.
std::vector<std::vector<uint32_t>> reference(const ReduceCase& c) {
  Memory m;
  const GpuId self{0, 0};
  const uint64_t src_bytes = row_bytes(c.stype, c.cols), dst_bytes = row_bytes(c.dtype, c.cols);
  for (uint64_t r = 0; r < c.rows; ++r) {
    unsigned k = 0;
    if (c.accumulate) {
      std::vector<uint8_t> row(dst_bytes);
      for (uint64_t i = 0; i < c.cols; ++i) put_code(row, c.dtype, i, c.codes[r][0][i]);
      m.write(self, kDst + r * dst_bytes, row);
      k = 1;
    }
    for (unsigned g = 0; g < 8; ++g) {
      if (!(c.mask >> g & 1)) continue;
      std::vector<uint8_t> row(src_bytes);
      for (uint64_t i = 0; i < c.cols; ++i) put_code(row, c.stype, i, c.codes[r][k][i]);
      m.write({0, g}, kSrc + r * src_bytes, row);
      ++k;
    }
  }
  Instruction insn = make("REDUCE", {{"dst", kDst},
                                     {"srcs", pack_destination_set({0, 0, c.mask})},
                                     {"src", kSrc},
                                     {"cols", c.cols},
                                     {"rows", c.rows},
                                     {"stype", static_cast<uint64_t>(c.stype)},
                                     {"dtype", static_cast<uint64_t>(c.dtype)},
                                     {"accumulate", c.accumulate ? 1u : 0u}});
  insn.index = 0;
  Program p;
  p.descriptors.push_back(insn);
  std::vector<GpuId> node;
  for (unsigned g = 0; g < 8; ++g) node.push_back({0, g});
  Executor e(m, test::grant_all({test::q(0, 0)}, node));
  e.run(p);
  std::vector<std::vector<uint32_t>> out(c.rows, std::vector<uint32_t>(c.cols));
  for (uint64_t r = 0; r < c.rows; ++r) {
    const std::vector<uint8_t> row = m.read(self, kDst + r * dst_bytes, dst_bytes);
    for (uint64_t i = 0; i < c.cols; ++i) out[r][i] = get_code(row, c.dtype, i);
  }
  return out;
}

using Reducer = Clocked<Vhwlab_reduce_unit>;

// Streams the case through the RTL (row by row, LANES elements at a time, K addend beats per chunk)
// with random valid/ready; the output codes per row (a BF16 lane must have a zero upper half: it is
// returned whole, so a stray bit shows as a mismatch).
std::vector<std::vector<uint32_t>> run_rtl(Reducer& rtl, const ReduceCase& c, std::mt19937_64& rng, double p_valid,
                                           double p_ready) {
  const unsigned k_count = c.addends();
  const uint64_t chunks = (c.cols + kLanes - 1) / kLanes, beats = c.rows * chunks * k_count;
  std::vector<std::vector<uint32_t>> out(c.rows, std::vector<uint32_t>(c.cols));
  uint64_t next_beat = 0, next_sum = 0, cycles = 0;
  while (next_sum < c.rows * chunks) {
    if (++cycles > 100 * (beats + 10)) FAIL("the reduce unit's handshake hangs");
    const bool offer = next_beat < beats && coin(rng, p_valid);
    rtl->in_valid = offer;
    if (next_beat < beats) {
      const uint64_t r = next_beat / (chunks * k_count), chunk = next_beat / k_count % chunks;
      const unsigned k = static_cast<unsigned>(next_beat % k_count);
      for (unsigned l = 0; l < kLanes; ++l) {
        const uint64_t i = chunk * kLanes + l;
        // Lanes past the row's end carry garbage: their sums are dropped.
        rtl->in_data[l] = i < c.cols ? c.codes[r][k][i] : static_cast<uint32_t>(rng());
      }
      rtl->in_bf16 = c.type_of(k) == Dtype::bf16;
      rtl->in_first = k == 0;
      rtl->in_last = k + 1 == k_count;
      rtl->in_out_bf16 = c.dtype == Dtype::bf16;
    }
    rtl->out_ready = coin(rng, p_ready);
    rtl.cycle_edge_low();
    const bool accepted = rtl->in_valid && rtl->in_ready;
    if (rtl->out_valid && rtl->out_ready) {
      const uint64_t r = next_sum / chunks, chunk = next_sum % chunks;
      for (unsigned l = 0; l < kLanes; ++l)
        if (chunk * kLanes + l < c.cols) out[r][chunk * kLanes + l] = rtl->out_data[l];
      ++next_sum;
    }
    rtl.cycle_edge_high();
    if (accepted) ++next_beat;
  }
  return out;
}

// ---- values ----

uint64_t uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

uint32_t fp32(uint32_t sign, uint32_t exponent, uint32_t fraction) { return sign << 31 | exponent << 23 | fraction; }

const std::vector<uint32_t> kSpecials = {
    0x00000000, 0x80000000,                                      // +-0
    0x7f800000, 0xff800000,                                      // +-inf
    0x7fc00000, 0xffc00000, 0x7f800001, 0xffbfffff, 0x7fffffff,  // quiet and signalling NaNs
    0x7f7fffff, 0xff7fffff,                                      // +-max
    0x00800000, 0x80800000,                                      // +-min normal
    0x00000001, 0x80000001, 0x007fffff, 0x807fffff,              // +-min and max subnormal
    0x3f800000, 0xbf800000, 0x4b800000, 0xcb800000,              // +-1, +-2^24
    0x3f808000, 0x3f818000, 0x7f7f8000, 0xff7f8000,              // BF16 ties (even, odd, to infinity)
};

// Element i's addends, drawn together so that they interact: the profile picks how.
std::vector<uint32_t> element_addends(unsigned k_count, std::mt19937_64& rng) {
  std::vector<uint32_t> v(k_count);
  const uint64_t profile = uniform(rng, 0, 9);
  const uint32_t base = static_cast<uint32_t>(uniform(rng, 0, 1) ? uniform(rng, 100, 154) : uniform(rng, 0, 254));
  for (unsigned k = 0; k < k_count; ++k) {
    const uint32_t sign = static_cast<uint32_t>(uniform(rng, 0, 1));
    const uint32_t frac = static_cast<uint32_t>(uniform(rng, 0, (1u << 23) - 1));
    switch (profile) {
      case 0:
        v[k] = static_cast<uint32_t>(rng());
        break;
      case 1:
      case 2: {  // nearby exponents: rounding at every add, cancellation when the signs differ
        const int64_t e = static_cast<int64_t>(base) + static_cast<int64_t>(uniform(rng, 0, 6)) - 3;
        v[k] = fp32(sign, static_cast<uint32_t>(std::clamp<int64_t>(e, 0, 254)), frac);
        break;
      }
      case 3:
        v[k] = kSpecials[uniform(rng, 0, kSpecials.size() - 1)];
        break;
      case 4:
        v[k] = fp32(sign, static_cast<uint32_t>(uniform(rng, 0, 2)), frac);
        break;  // subnormal and tiny
      case 5:   // exact cancellation of the previous addend, or a neighbour of it
        v[k] = k == 0 ? static_cast<uint32_t>(rng())
                      : (v[k - 1] ^ 0x80000000u) + static_cast<uint32_t>(uniform(rng, 0, 2)) - 1u;
        break;
      case 6:
        v[k] = fp32(sign, static_cast<uint32_t>(uniform(rng, 250, 254)), frac);
        break;  // overflow
      case 7:   // a BF16 rounding tie or near-tie in the first addend, zeros after it
        v[k] = k == 0 ? (static_cast<uint32_t>(rng()) & 0xffff0000u) |
                            static_cast<uint32_t>(0x8000 + uniform(rng, 0, 2) - 1)
                      : (sign ? 0x80000000u : 0u);
        break;
      case 8:  // small integers: sums exact, zero signs
        v[k] = fp32(sign, static_cast<uint32_t>(uniform(rng, 0, 1) ? 127 + uniform(rng, 0, 3) : 0), frac & 0x700000u);
        break;
      default:
        v[k] = uniform(rng, 0, 3) ? fp32(sign, base, frac) : kSpecials[uniform(rng, 0, kSpecials.size() - 1)];
    }
  }
  return v;
}

ReduceCase random_case(std::mt19937_64& rng) {
  ReduceCase c;
  c.stype = uniform(rng, 0, 1) ? Dtype::bf16 : Dtype::fp32;
  c.dtype = uniform(rng, 0, 1) ? Dtype::bf16 : Dtype::fp32;
  c.accumulate = uniform(rng, 0, 1);
  c.mask = static_cast<uint8_t>(uniform(rng, 0, 2) ? uniform(rng, 1, 255) : 1u << uniform(rng, 0, 7));
  c.cols = uniform(rng, 0, 3) ? uniform(rng, 1, 16) : uniform(rng, 17, 70);
  c.rows = uniform(rng, 1, 4);
  const unsigned k_count = c.addends();
  c.codes.assign(c.rows, std::vector<std::vector<uint32_t>>(k_count, std::vector<uint32_t>(c.cols)));
  for (uint64_t r = 0; r < c.rows; ++r)
    for (uint64_t i = 0; i < c.cols; ++i) {
      const std::vector<uint32_t> v = element_addends(k_count, rng);
      for (unsigned k = 0; k < k_count; ++k)  // BF16 addends: the upper half (any code is a BF16 value)
        c.codes[r][k][i] = c.type_of(k) == Dtype::bf16 ? v[k] >> 16 : v[k];
    }
  return c;
}

// One row of hand-picked FP32 addends (BF16 ones take the upper halves), one element per column.
ReduceCase crafted(Dtype stype, Dtype dtype, bool accumulate, const std::vector<std::vector<uint32_t>>& columns) {
  ReduceCase c;
  c.stype = stype;
  c.dtype = dtype;
  c.accumulate = accumulate;
  c.cols = columns.size();
  const unsigned k_count = static_cast<unsigned>(columns[0].size());
  c.mask = static_cast<uint8_t>((1u << (k_count - (accumulate ? 1 : 0))) - 1);
  c.codes.assign(1, std::vector<std::vector<uint32_t>>(k_count, std::vector<uint32_t>(c.cols)));
  for (uint64_t i = 0; i < c.cols; ++i)
    for (unsigned k = 0; k < k_count; ++k)
      c.codes[0][k][i] = c.type_of(k) == Dtype::bf16 ? columns[i][k] >> 16 : columns[i][k];
  return c;
}

std::vector<ReduceCase> crafted_cases() {
  const Dtype f = Dtype::fp32, b = Dtype::bf16;
  std::vector<ReduceCase> out;
  // test_values' REDUCE: order and ties at 2^24; zeros keep or lose their sign as IEEE says.
  out.push_back(crafted(f, f, false,
                        {{0x4b800000, 0x3f800000, 0xcb800000},     // 2^24 + 1 - 2^24 = 0
                         {0x80000000, 0x80000000, 0x80000000},     // -0
                         {0x3f800000, 0x3b000000, 0x00000000},     // 1 + 2^-9
                         {0x3f800000, 0xbf800000, 0x00000000},     // +0
                         {0x80000000, 0x00000000, 0x80000000},     // +0
                         {0x3f800000, 0x33800000, 0x33800000}}));  // 1 + 2^-24 + 2^-24 = 1
  // Specials: NaN sums leave as the canonical NaN, whatever NaN came in; inf - inf is NaN.
  out.push_back(crafted(f, f, false,
                        {{0x7f800000, 0xff800000},
                         {0x7f800001, 0x3f800000},
                         {0xffc00000, 0x7fc00001},
                         {0x7f800000, 0x7f7fffff},
                         {0x7f7fffff, 0x7f7fffff},
                         {0xff7fffff, 0xff7fffff},
                         {0xff800000, 0xffbfffff},
                         {0x7f7fffff, 0x73800000},
                         {0x7f7fffff, 0x73000000}}));
  out.push_back(crafted(f, f, false, {{0x7f800001}, {0xffffffff}, {0x80000000}, {0x00000001}}));  // K = 1: as is
  // Subnormals: kept, added exactly, carried into the normals and back.
  out.push_back(crafted(f, f, false,
                        {{0x00000001, 0x00000001},
                         {0x007fffff, 0x00000001},
                         {0x00800000, 0x80000001},
                         {0x00000001, 0x80000001},
                         {0x80400000, 0x80400000},
                         {0x00800001, 0x80800000},
                         {0x3f800000, 0x00000001},
                         {0x0ffffff0, 0x80000001}}));
  // BF16 out: ties to even, up to infinity, NaN as 0x7FFF; BF16 in: exact, NaN, subnormal.
  out.push_back(crafted(f, b, false,
                        {{0x3f808000},
                         {0x3f818000},
                         {0x3f808001},
                         {0x3f807fff},
                         {0x7f7fffff},
                         {0xff7f8000},
                         {0x7f7f7fff},
                         {0xff800001},
                         {0x00008000},
                         {0x80018000}}));
  out.push_back(crafted(b, f, false,
                        {{0x7fc10000, 0x3f800000},
                         {0xffff0000, 0x00000000},
                         {0x00010000, 0x00010000},
                         {0x7f800000, 0xff800000},
                         {0x80000000, 0x80000000}}));
  // Accumulate into a BF16 destination: its value is the first addend.
  out.push_back(crafted(f, b, true,
                        {{0x3f800000, 0x3b800000, 0x3b800000},
                         {0x80000000, 0x80000000, 0x80000000},
                         {0x7f800000, 0x00000000, 0xff800000}}));
  return out;
}

// Runs the cases through the RTL against the executor; returns the mismatching elements. The first
// few are printed; with HWLAB_RTL_TRACE the first failing case is re-run alone into a waveform.
struct Tally {
  uint64_t cases = 0, beats_out = 0, elements = 0, mismatches = 0;
  // The sums REDUCE gave, by class: zero, subnormal, normal, infinity, NaN; and BF16 sums that
  // were rounding ties (the FP32 sum's low half 0x8000), where only ties-to-even is right.
  std::array<uint64_t, 5> classes{};
  uint64_t bf16_ties = 0;
  std::string report;  // the first mismatches
};

// 0 zero, 1 subnormal, 2 normal, 3 infinity, 4 NaN, for FP32 bits or a BF16 code.
int value_class(uint32_t code, bool bf16) {
  const uint32_t exponent = bf16 ? code >> 7 & 0xff : code >> 23 & 0xff;
  const uint32_t fraction = bf16 ? code & 0x7f : code & 0x7fffff;
  if (exponent == 0) return fraction ? 1 : 0;
  if (exponent == 0xff) return fraction ? 4 : 3;
  return 2;
}

// The FP32 sum before its BF16 rounding: the addends summed as REDUCE does (for the tie count only).
uint32_t fp32_sum(const ReduceCase& c, uint64_t r, uint64_t i) {
  float acc = 0.0f;
  for (unsigned k = 0; k < c.addends(); ++k) {
    const uint32_t code = c.codes[r][k][i];
    const float x = numerics::float_from_bits(c.type_of(k) == Dtype::bf16 ? code << 16 : code);
    acc = k == 0 ? x : acc + x;
  }
  return numerics::float_bits(acc);
}

void check(const ReduceCase& c, Reducer& rtl, std::mt19937_64& rng, Tally& t) {
  const double p_valid = std::uniform_real_distribution<double>(0.4, 1.0)(rng);
  const double p_ready = std::uniform_real_distribution<double>(0.3, 1.0)(rng);
  const std::mt19937_64 replay = rng;
  const auto want = reference(c);
  const auto got = run_rtl(rtl, c, rng, p_valid, p_ready);
  ++t.cases;
  t.beats_out += c.rows * ((c.cols + kLanes - 1) / kLanes);
  t.elements += c.rows * c.cols;
  const uint64_t before = t.mismatches;
  for (uint64_t r = 0; r < c.rows; ++r)
    for (uint64_t i = 0; i < c.cols; ++i) {
      ++t.classes[static_cast<size_t>(value_class(want[r][i], c.dtype == Dtype::bf16))];
      if (c.dtype == Dtype::bf16 && (fp32_sum(c, r, i) & 0xffff) == 0x8000) ++t.bf16_ties;
      if (got[r][i] == want[r][i]) continue;
      if (++t.mismatches <= 5) {
        std::string addends;
        for (unsigned k = 0; k < c.addends(); ++k) addends += fmt::format(" {:#x}", c.codes[r][k][i]);
        t.report += fmt::format("{}: row {} element {}: addends{}: REDUCE {:#x}, RTL {:#x}\n", c.str(), r, i, addends,
                                want[r][i], got[r][i]);
      }
    }
  if (before == 0 && t.mismatches > 0 && !trace_path().empty()) {
    Reducer traced(trace_path());
    std::mt19937_64 again = replay;
    run_rtl(traced, c, again, p_valid, p_ready);
    t.report += fmt::format("waveform of {} in {}\n", c.str(), trace_path());
  }
}

}  // namespace

TEST_CASE("RTL reduce unit: hand-picked sums equal REDUCE's bit for bit", "[rtl][coproc][reduce]") {
  std::mt19937_64 rng(seed());
  Reducer rtl;
  Tally t;
  for (const ReduceCase& c : crafted_cases()) check(c, rtl, rng, t);
  INFO(t.report);
  CHECK(t.mismatches == 0);
}

TEST_CASE("RTL reduce unit: random rows equal REDUCE's bit for bit under back-pressure", "[rtl][coproc][reduce]") {
  std::mt19937_64 rng(seed() + 2);
  Reducer rtl;
  Tally t;
  const uint64_t beats = vector_count(100000);  // output beats of kLanes sums each
  while (t.beats_out < beats) check(random_case(rng), rtl, rng, t);
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "rtl coproc reduce: %llu REDUCE cases, %llu output beats, %llu element sums, %llu mismatches; sums: zero=%llu "
      "subnormal=%llu normal=%llu inf=%llu nan=%llu, bf16 ties=%llu\n",
      u(t.cases), u(t.beats_out), u(t.elements), u(t.mismatches), u(t.classes[0]), u(t.classes[1]), u(t.classes[2]),
      u(t.classes[3]), u(t.classes[4]), u(t.bf16_ties));
  INFO(t.report);
  CHECK(t.mismatches == 0);
}

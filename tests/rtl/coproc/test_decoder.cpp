// The RTL descriptor decoder (rtl/coproc/hwlab_desc_decoder.sv) against isa::decode, bit for bit:
// accept/reject, reason code, failing field, reserved bit, opcode, field count and every field value,
// for every descriptor the encoder makes from random valid instructions, every example program, and
// malformed descriptors of each kind; descriptors stream through with random valid/ready.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "Vhwlab_desc_decoder.h"
#include "common/atomic_file.h"
#include "isa/assembler.h"
#include "isa/encoding.h"
#include "isa/program.h"
#include "tests/isa_core/isa_test_util.h"
#include "tests/rtl/coproc/coproc_bench.h"

using namespace hwlab;
using namespace hwlab::isa;
using namespace hwlab::rtl::test;

namespace {

using Fields = std::array<uint64_t, kMaxFields>;

// What the decoder's outputs must be. field and bit are 0 where isa::decode has -1 (the RTL drives
// 0 there); fields are compared where isa::decode fills them (valid, a field check or the cross-field
// rule failed) and must be zero for an unknown opcode.
struct Outputs {
  unsigned opcode = 0, reason = 0, field = 0, bit = 0, count = 0;
  bool malformed = false;
  Fields fields{};
  bool operator==(const Outputs& o) const {
    return opcode == o.opcode && reason == o.reason && field == o.field && bit == o.bit && count == o.count &&
           malformed == o.malformed && fields == o.fields;
  }
};

struct Expected {
  Outputs out;
  bool compare_fields = false;
  std::string message;  // isa::decode's error
};

Expected expected(const Descriptor& d) {
  const DecodeResult r = decode(d.data());
  Expected e;
  e.out.opcode = d[0];
  e.out.reason = static_cast<unsigned>(r.reason);
  e.out.field = r.field >= 0 ? static_cast<unsigned>(r.field) : 0;
  e.out.bit = r.bit >= 0 ? static_cast<unsigned>(r.bit) : 0;
  e.out.malformed = !r.ok();
  const InstructionSpec* spec = find_opcode(d[0]);
  e.out.count = spec ? static_cast<unsigned>(spec->fields.size()) : 0;
  e.compare_fields = r.ok() || r.reason >= Reject::field_width || r.reason == Reject::unknown_opcode;
  if (r.ok() || r.reason >= Reject::field_width) e.out.fields = r.instruction.values;
  e.message = r.ok() ? "ok" : r.error;
  return e;
}

std::string hex(const Descriptor& d) {
  std::string s;
  for (int b = kDescriptorBytes - 1; b >= 0; --b) s += fmt::format("{:02x}", d[static_cast<size_t>(b)]);
  return s;
}

std::string describe(const Outputs& o) {
  std::string s =
      fmt::format("opcode {:#04x} reason {} ({}) field {} bit {} count {} malformed {} fields", o.opcode, o.reason,
                  reject_name(static_cast<Reject>(o.reason)), o.field, o.bit, o.count, o.malformed);
  for (unsigned i = 0; i < kMaxFields; ++i)
    if (o.fields[i]) s += fmt::format(" [{}]={:#x}", i, o.fields[i]);
  return s;
}

using Decoder = Clocked<Vhwlab_desc_decoder>;

// Streams `in` through the RTL with random valid (p_valid) and ready (p_ready); the outputs in order.
std::vector<Outputs> run_rtl(Decoder& rtl, const std::vector<Descriptor>& in, std::mt19937_64& rng, double p_valid,
                             double p_ready) {
  std::vector<Outputs> out;
  out.reserve(in.size());
  size_t next = 0;
  uint64_t cycles = 0;
  while (out.size() < in.size()) {
    if (++cycles > 100 * (in.size() + 10)) FAIL("the decoder's handshake hangs");
    const bool offer = next < in.size() && coin(rng, p_valid);
    rtl->in_valid = offer;
    if (next < in.size()) {
      const Descriptor& d = in[next];
      for (int w = 0; w < kDescriptorBytes / 4; ++w) {
        const uint8_t* p = &d[static_cast<size_t>(4 * w)];
        rtl->in_desc[w] = static_cast<uint32_t>(p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24);
      }
    }
    rtl->out_ready = coin(rng, p_ready);
    rtl.cycle_edge_low();
    const bool accepted = rtl->in_valid && rtl->in_ready;
    if (rtl->out_valid && rtl->out_ready) {
      Outputs o;
      o.opcode = rtl->out_opcode;
      o.reason = rtl->out_reason;
      o.field = rtl->out_field;
      o.bit = rtl->out_bit;
      o.count = rtl->out_field_count;
      o.malformed = rtl->out_malformed;
      for (unsigned i = 0; i < kMaxFields; ++i)
        o.fields[i] = uint64_t{rtl->out_fields[2 * i]} | uint64_t{rtl->out_fields[2 * i + 1]} << 32;
      out.push_back(o);
    }
    rtl.cycle_edge_high();
    if (accepted) ++next;
  }
  return out;
}

// Descriptors checked, mismatches, how many isa::decode gave each reason, the first mismatches.
struct Tally {
  uint64_t descriptors = 0, mismatches = 0;
  std::array<uint64_t, kRejectCount> reasons{};
  std::string report;

  void print(const char* what) const {
    std::string by_reason;
    for (int r = 0; r < kRejectCount; ++r)
      if (reasons[static_cast<size_t>(r)])
        by_reason += fmt::format(" {}={}", reject_name(static_cast<Reject>(r)), reasons[static_cast<size_t>(r)]);
    std::printf("rtl coproc decoder: %s: %llu descriptors, %llu mismatches;%s\n", what,
                static_cast<unsigned long long>(descriptors), static_cast<unsigned long long>(mismatches),
                by_reason.c_str());
  }
};

// Runs `in` through the RTL and compares every output with isa::decode. The first mismatches go to
// the report, and with HWLAB_RTL_TRACE the first one is re-run alone into a waveform.
void check(const std::vector<Descriptor>& in, const std::string& what, std::mt19937_64& rng, Tally& t) {
  Decoder rtl;
  const double p_valid = std::uniform_real_distribution<double>(0.3, 1.0)(rng);
  const double p_ready = std::uniform_real_distribution<double>(0.3, 1.0)(rng);
  const std::vector<Outputs> got = run_rtl(rtl, in, rng, p_valid, p_ready);
  for (size_t i = 0; i < in.size(); ++i) {
    const Expected e = expected(in[i]);
    ++t.descriptors;
    ++t.reasons[e.out.reason];
    Outputs g = got[i];
    if (!e.compare_fields) g.fields = e.out.fields;
    if (g == e.out) continue;
    if (++t.mismatches <= 5)
      t.report += fmt::format("{} #{}: descriptor {}\n  isa::decode: {}\n  expected: {}\n  RTL:      {}\n", what, i,
                              hex(in[i]), e.message, describe(e.out), describe(got[i]));
    if (t.mismatches == 1 && !trace_path().empty()) {
      Decoder traced(trace_path());
      std::mt19937_64 again(1);
      run_rtl(traced, {in[i]}, again, 1.0, 1.0);
      t.report += fmt::format("waveform of {} #{} in {}\n", what, i, trace_path());
    }
  }
}

uint64_t uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

Descriptor random_valid(std::mt19937_64& rng) {
  const auto& table = instruction_table();
  return encode(test::random_instruction(table[uniform(rng, 0, table.size() - 1)], rng));
}

Descriptor used_bits(const InstructionSpec& spec) {
  Descriptor used{};
  put_bits(used.data(), 0, kOpcodeBits + kVersionBits, (uint64_t{1} << (kOpcodeBits + kVersionBits)) - 1);
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const int w = spec.fields[i].width;
    put_bits(used.data(), spec.offsets[i], w, w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1);
  }
  return used;
}

void flip(Descriptor& d, int bit) { d[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8)); }

// A value of field f that is often invalid: its edges, one past its range, or random bits.
uint64_t edgy_value(const FieldSpec& f, std::mt19937_64& rng) {
  const uint64_t mask = f.width == 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1;
  switch (uniform(rng, 0, 7)) {
    case 0:
      return 0;
    case 1:
      return mask;
    case 2:
      return f.min > 0 ? f.min - 1 : f.min;
    case 3:
      return f.max < mask ? f.max + 1 : f.max;
    case 4:
      return f.min;
    case 5:
      return f.max;
    case 6:  // global addresses: a reserved top bit; destination sets: no GPU
      if (f.kind == FieldKind::global_address) return uniform(rng, 0, mask) | uint64_t{1} << uniform(rng, 57, 63);
      if (f.kind == FieldKind::destination_set) return uniform(rng, 0, mask) & ~uint64_t{0xff};
      return uniform(rng, 0, 64);
    default:
      return uniform(rng, 0, mask);
  }
}

// One malformed (or, by chance, valid) descriptor of a random kind.
Descriptor random_malformed(std::mt19937_64& rng) {
  const auto& table = instruction_table();
  const InstructionSpec& spec = table[uniform(rng, 0, table.size() - 1)];
  Instruction insn = test::random_instruction(spec, rng);
  Descriptor d = encode(insn);
  const Descriptor used = used_bits(spec);
  const int kinds = static_cast<int>(uniform(rng, 1, 3));  // several faults at once test the order of checks
  for (int fault = 0; fault < kinds; ++fault) {
    switch (uniform(rng, 0, 7)) {
      case 0:  // bit flips anywhere
        for (uint64_t n = uniform(rng, 1, 3); n > 0; --n)
          flip(d, static_cast<int>(uniform(rng, 0, kDescriptorBits - 1)));
        break;
      case 1: {  // a reserved bit of the row
        std::vector<int> reserved;
        for (int b = 0; b < kDescriptorBits; ++b)
          if (!((used[static_cast<size_t>(b / 8)] >> (b % 8)) & 1)) reserved.push_back(b);
        flip(d, reserved[uniform(rng, 0, reserved.size() - 1)]);
        break;
      }
      case 2:  // another format version
        put_bits(d.data(), kVersionShift, kVersionBits, (kFormatVersion + uniform(rng, 1, 15)) % 16);
        break;
      case 3: {  // an opcode no row has (or any byte)
        unsigned op = static_cast<unsigned>(uniform(rng, 0, 255));
        while (uniform(rng, 0, 3) && find_opcode(op)) op = static_cast<unsigned>(uniform(rng, 0, 255));
        d[0] = static_cast<uint8_t>(op);
        break;
      }
      case 4:  // a field at an edge or out of its range
      case 5:
        if (!spec.fields.empty()) {
          const size_t i = uniform(rng, 0, spec.fields.size() - 1);
          put_bits(d.data(), spec.offsets[i], spec.fields[i].width, edgy_value(spec.fields[i], rng));
        }
        break;
      case 6:  // every field random within its width (cross-field rules, counter alignment)
        for (size_t i = 0; i < spec.fields.size(); ++i)
          if (uniform(rng, 0, 1))
            put_bits(d.data(), spec.offsets[i], spec.fields[i].width, edgy_value(spec.fields[i], rng));
        break;
      default:  // sparse random bits over the whole descriptor, header kept
        for (int b = kHeaderBits; b < kDescriptorBits; ++b)
          if (uniform(rng, 0, 63) == 0) flip(d, b);
        break;
    }
  }
  return d;
}

// The rows that have their own rule, with fields drawn only inside their ranges: the cross-field
// rule is then the check that fails (or passes).
Descriptor random_cross_field(std::mt19937_64& rng) {
  static const std::vector<const InstructionSpec*> rows = [] {
    std::vector<const InstructionSpec*> r;
    for (const auto& spec : instruction_table())
      if (spec.semantics && spec.semantics->check) r.push_back(&spec);
    return r;
  }();
  const InstructionSpec& spec = *rows[uniform(rng, 0, rows.size() - 1)];
  Instruction insn = test::random_instruction(spec, rng);
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const FieldSpec& f = spec.fields[i];
    if (f.kind == FieldKind::enumeration || f.kind == FieldKind::unsigned_int)
      insn.values[i] = uniform(rng, f.min, std::min(f.max, f.min + 7));
    if (f.kind == FieldKind::offset || f.kind == FieldKind::global_address)
      insn.values[i] = (insn.values[i] & ~uint64_t{7}) | uniform(rng, 0, 7) * uniform(rng, 0, 1);
  }
  Descriptor d{};
  put_bits(d.data(), 0, kOpcodeBits, spec.opcode);
  put_bits(d.data(), kVersionShift, kVersionBits, kFormatVersion);
  for (size_t i = 0; i < spec.fields.size(); ++i)
    put_bits(d.data(), spec.offsets[i], spec.fields[i].width, insn.values[i]);
  return d;
}

std::vector<Descriptor> example_descriptors() {
  std::vector<Descriptor> out;
  auto add = [&out](const std::string& binary) {
    REQUIRE(binary.size() % kDescriptorBytes == 0);
    for (size_t at = 0; at < binary.size(); at += kDescriptorBytes) {
      Descriptor d;
      std::copy_n(reinterpret_cast<const uint8_t*>(binary.data()) + at, kDescriptorBytes, d.begin());
      out.push_back(d);
    }
  };
  const std::filesystem::path root = HWLAB_SOURCE_DIR;
  for (const auto& entry : std::filesystem::directory_iterator(root / "isa/examples"))
    if (entry.path().extension() == ".s") add(to_binary(assemble_file(entry.path().string())));
  for (const auto& entry : std::filesystem::directory_iterator(root / "tests/data/isa/bin"))
    if (entry.path().extension() == ".bin") add(read_file(entry.path().string()));
  return out;
}

// In batches so that a full run does not hold every descriptor at once.
template <class Make>
void check_random(uint64_t count, const std::string& what, std::mt19937_64& rng, Tally& t, Make make) {
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min<uint64_t>(count - done, 100000);
    std::vector<Descriptor> batch;
    batch.reserve(n);
    for (uint64_t i = 0; i < n; ++i) batch.push_back(make(rng));
    check(batch, what, rng, t);
    done += n;
  }
}

}  // namespace

TEST_CASE("RTL decoder: valid descriptors decode as isa::decode, every field", "[rtl][coproc][decoder]") {
  std::mt19937_64 rng(seed());
  const std::vector<Descriptor> examples = example_descriptors();
  CHECK(examples.size() > 20);
  Tally from_examples, random;
  check(examples, "example programs", rng, from_examples);
  check_random(vector_count(100000), "random valid", rng, random, random_valid);
  from_examples.print("example programs (isa/examples, tests/data/isa/bin)");
  random.print("random valid instructions");
  INFO(from_examples.report << random.report);
  CHECK(from_examples.mismatches == 0);
  CHECK(random.mismatches == 0);
  CHECK(random.reasons[0] == random.descriptors);
}

TEST_CASE("RTL decoder: malformed descriptors get isa::decode's reason, field and bit", "[rtl][coproc][decoder]") {
  std::mt19937_64 rng(seed() + 1);
  // test_encoding's hand-made rejections, one of each reason.
  std::vector<Descriptor> crafted;
  const Descriptor write =
      encode(make("WRITE", {{"dst", pack_address({1, {5, 3}, 0x1000})}, {"src", 0x40}, {"bytes", 64}}));
  crafted.push_back({});  // opcode 0
  for (int bit : {3, 5, 9, 13, 56, 64 + 60, 511}) {
    Descriptor d = write;
    flip(d, bit);
    crafted.push_back(d);
  }
  Descriptor d = write;
  put_bits(d.data(), 128, 32, 0);  // bytes 0
  crafted.push_back(d);
  for (const char* mnemonic : {"CAST", "LDTRANS", "LOGFMT.ENC", "LOGFMT.DEC", "SIGNAL", "WAIT", "WCAST", "MMA.FP8",
                               "MULTICAST", "REDUCE", "DISPATCH", "COMBINE", "QUEUE", "LOOP"}) {
    const InstructionSpec& spec = *find_mnemonic(mnemonic);
    for (size_t i = 0; i < spec.fields.size(); ++i)
      for (uint64_t v : {uint64_t{0}, ~uint64_t{0}, spec.fields[i].max + 1, uint64_t{3}, uint64_t{12}}) {
        Descriptor c = encode(test::random_instruction(spec, rng));
        const int w = spec.fields[i].width;
        put_bits(c.data(), spec.offsets[i], w, w == 64 ? v : v & ((uint64_t{1} << w) - 1));
        crafted.push_back(c);
      }
  }
  const uint64_t n = vector_count(100000);
  Tally hand, random, cross;
  check(crafted, "crafted edge values", rng, hand);
  check_random(n, "random malformed", rng, random, random_malformed);
  check_random(n / 4 + 1, "cross-field rules", rng, cross, random_cross_field);
  hand.print("crafted edge values");
  random.print("random malformed");
  cross.print("cross-field rules");
  INFO(hand.report << random.report << cross.report);
  CHECK(hand.mismatches + random.mismatches + cross.mismatches == 0);
  // Every reason the decoder can give came up (field_width cannot come from a descriptor, and no
  // row has a GPU-mask field).
  for (int r = 1; r < kRejectCount; ++r) {
    const auto reason = static_cast<Reject>(r);
    if (reason == Reject::field_width || reason == Reject::empty_gpu_mask) continue;
    INFO(reject_name(reason));
    CHECK(random.reasons[static_cast<size_t>(r)] + cross.reasons[static_cast<size_t>(r)] > 0);
  }
}

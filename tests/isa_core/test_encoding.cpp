// The binary descriptor format: every instruction round-trips through encode/decode; the decoder
// rejects each kind of malformed descriptor with its reason; the layout rules of table.h hold.
#include <catch2/catch.hpp>

#include <set>

#include "isa/encoding.h"
#include "isa/program.h"
#include "tests/isa_core/isa_test_util.h"

using namespace hwlab;
using namespace hwlab::isa;

namespace {

Descriptor encoded(std::string_view mnemonic, std::initializer_list<std::pair<const char*, uint64_t>> fields) {
  return encode(make(mnemonic, fields));
}

Descriptor a_write() {
  return encoded("WRITE", {{"dst", pack_address({1, {5, 3}, 0x1000})}, {"src", 0x40}, {"bytes", 64}});
}

std::string decode_error(const Descriptor& d) { return decode(d.data()).error; }

}  // namespace

TEST_CASE("every instruction round-trips through encode and decode", "[isa][encoding]") {
  std::mt19937_64 rng(1);
  for (const InstructionSpec& spec : instruction_table()) {
    for (int i = 0; i < 200; ++i) {
      const Instruction insn = test::random_instruction(spec, rng);
      const Descriptor d = encode(insn);
      const DecodeResult r = decode(d.data());
      INFO(spec.mnemonic << ": " << r.error);
      REQUIRE(r.ok());
      REQUIRE(r.instruction.spec == &spec);
      REQUIRE(r.instruction.values == insn.values);
      REQUIRE(encode(r.instruction) == d);
    }
  }
}

TEST_CASE("the descriptor layout follows the table's rules", "[isa][encoding]") {
  std::set<unsigned> opcodes;
  std::set<std::string> names;
  for (const InstructionSpec& spec : instruction_table()) {
    INFO(spec.mnemonic);
    CHECK(opcodes.insert(spec.opcode).second);
    CHECK(names.insert(spec.mnemonic).second);
    CHECK(spec.opcode != 0);  // zeroed memory never decodes
    std::vector<bool> used(kDescriptorBits, false);
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      const int lo = spec.offsets[i], w = spec.fields[i].width;
      CHECK(lo >= kHeaderBits);
      CHECK(lo + w <= kDescriptorBits);
      CHECK(lo / 64 == (lo + w - 1) / 64);  // inside one 64-bit word
      for (int b = lo; b < lo + w; ++b) {
        CHECK_FALSE(used[static_cast<size_t>(b)]);
        used[static_cast<size_t>(b)] = true;
      }
    }
  }
  // WRITE's fields by first fit: dst (64 bits) cannot start at 16, so it takes word 1; src fills word 0.
  const InstructionSpec* w = find_mnemonic("WRITE");
  CHECK(w->offsets == std::vector<int>{64, 16, 128});
  const Descriptor d = a_write();
  CHECK(d[0] == 0x11);        // opcode
  CHECK((d[1] & 0x0f) == 1);  // version
  CHECK(get_bits(d.data(), 64, 64) == pack_address({1, {5, 3}, 0x1000}));
  CHECK(get_bits(d.data(), 64 + kNodeShift, kNodeBits) == 5);
  CHECK(get_bits(d.data(), 64 + kPlaneShift, kPlaneBits) == 1);
  CHECK(get_bits(d.data(), 16, 40) == 0x40);
  CHECK(get_bits(d.data(), 128, 32) == 64);
}

TEST_CASE("the decoder rejects malformed descriptors with the reason", "[isa][encoding]") {
  Descriptor zero{};
  CHECK(decode_error(zero) == "unknown opcode 0x00");

  Descriptor d = a_write();
  d[0] = 0x7e;
  CHECK(decode_error(d) == "unknown opcode 0x7e");

  d = a_write();
  d[1] = static_cast<uint8_t>((d[1] & 0xf0) | 3);
  CHECK(decode_error(d) == "WRITE: format version 3, expected 1");

  d = a_write();
  d[1] |= 0x20;  // bit 13: reserved header bit
  CHECK(decode_error(d) == "WRITE: reserved bit 13 is set");

  d = a_write();
  put_bits(d.data(), 56, 1, 1);  // bit 56: between src (ends at 56) and the end of word 0
  CHECK(decode_error(d) == "WRITE: reserved bit 56 is set");

  d = a_write();
  put_bits(d.data(), 511, 1, 1);
  CHECK(decode_error(d) == "WRITE: reserved bit 511 is set");

  d = a_write();
  put_bits(d.data(), 64 + 60, 1, 1);  // inside dst: one of the address's reserved top bits
  CHECK(decode_error(d) == "WRITE: field dst: reserved address bit 60 is set");

  d = a_write();
  put_bits(d.data(), 128, 32, 0);
  CHECK(decode_error(d) == "WRITE: field bytes: 0 is outside [1, 4294967295]");

  d = encoded("MULTICAST", {{"dsts", pack_destination_set({0, 1, 0b101})}, {"dst", 0}, {"src", 0}, {"bytes", 8}});
  put_bits(d.data(), find_mnemonic("MULTICAST")->offsets[0], 8, 0);  // the GPU mask
  CHECK(decode_error(d) == "MULTICAST: field dsts: empty destination set");

  const InstructionSpec* cast = find_mnemonic("CAST");
  d = encoded("CAST", {{"dst", 0}, {"src", 0x100}, {"cols", 128}, {"rows", 1}, {"stype", 1}, {"dtype", 2}});
  put_bits(d.data(), cast->offsets[static_cast<size_t>(cast->field_index("dtype"))], 2, 1);
  CHECK(decode_error(d) == "CAST: stype and dtype are both bf16: nothing to convert");

  const InstructionSpec* sig = find_mnemonic("SIGNAL");
  d = encoded("SIGNAL", {{"counter", pack_address({0, {0, 1}, 8})}, {"op", 1}, {"value", 1}, {"order", 1}});
  put_bits(d.data(), sig->offsets[0], 64, pack_address({0, {0, 1}, 12}));
  CHECK(decode_error(d) == "SIGNAL: counter offset 0xc is not 8-byte aligned");

  std::mt19937_64 rng3(3), rng4(4);
  const InstructionSpec* combine = find_mnemonic("COMBINE");
  d = encode(test::random_instruction(*combine, rng3));
  put_bits(d.data(), combine->offsets[static_cast<size_t>(combine->field_index("gpus"))], 4, 0);
  CHECK(decode_error(d) == "COMBINE: field gpus: 0 is outside [1, 8]");

  const InstructionSpec* mma = find_mnemonic("MMA.FP8");
  d = encode(test::random_instruction(*mma, rng4));
  put_bits(d.data(), mma->offsets[static_cast<size_t>(mma->field_index("acc"))], 6, 9);
  CHECK(decode_error(d) == "MMA.FP8: field acc: 9 is neither 0 (fp32) nor an alignment width in [10, 40]");

  // LDTRANS's esize is 3 bits for 1..4: 5..7 fail the range, 3 the row's own rule.
  const InstructionSpec* ld = find_mnemonic("LDTRANS");
  d = encoded("LDTRANS", {{"dst", 0}, {"src", 0}, {"rows", 2}, {"cols", 2}, {"esize", 2}});
  put_bits(d.data(), ld->offsets[4], 3, 3);
  CHECK(decode_error(d) == "LDTRANS: esize 3 is not 1, 2 or 4");
  put_bits(d.data(), ld->offsets[4], 3, 7);
  CHECK(decode_error(d) == "LDTRANS: field esize: 7 is outside [1, 4]");
}

TEST_CASE("the decoder's reason codes say which check failed, on which field or bit", "[isa][encoding]") {
  struct Want {
    Reject reason;
    int field, bit;
  };
  auto verdict = [](const Descriptor& d) {
    const DecodeResult r = decode(d.data());
    CHECK(r.ok() == (r.reason == Reject::none));
    return Want{r.reason, r.field, r.bit};
  };
  auto same = [](const Want& a, const Want& b) { return a.reason == b.reason && a.field == b.field && a.bit == b.bit; };
  Descriptor d = a_write();
  CHECK(same(verdict(d), {Reject::none, -1, -1}));
  d[0] = 0x7e;
  CHECK(same(verdict(d), {Reject::unknown_opcode, -1, -1}));
  d = a_write();
  d[1] = static_cast<uint8_t>((d[1] & 0xf0) | 3);
  CHECK(same(verdict(d), {Reject::format_version, -1, -1}));
  d = a_write();
  put_bits(d.data(), 56, 1, 1);
  put_bits(d.data(), 511, 1, 1);
  CHECK(same(verdict(d), {Reject::reserved_bit, -1, 56}));  // the lowest one
  d = a_write();
  put_bits(d.data(), 64 + 60, 1, 1);
  CHECK(same(verdict(d), {Reject::address_reserved_bit, 0, -1}));  // WRITE's field 0 is dst
  put_bits(d.data(), 128, 32, 0);
  CHECK(same(verdict(d), {Reject::address_reserved_bit, 0, -1}));  // fields in the row's order
  d = a_write();
  put_bits(d.data(), 128, 32, 0);
  CHECK(same(verdict(d), {Reject::field_range, 2, -1}));
  d = encoded("MULTICAST", {{"dsts", pack_destination_set({0, 1, 0b101})}, {"dst", 0}, {"src", 0}, {"bytes", 8}});
  put_bits(d.data(), find_mnemonic("MULTICAST")->offsets[0], 8, 0);
  CHECK(same(verdict(d), {Reject::empty_destination_set, 0, -1}));
  const InstructionSpec* ld = find_mnemonic("LDTRANS");
  d = encoded("LDTRANS", {{"dst", 0}, {"src", 0}, {"rows", 2}, {"cols", 2}, {"esize", 2}});
  put_bits(d.data(), ld->offsets[4], 3, 3);  // esize 3: in the field's range, refused by LDTRANS's check
  CHECK(same(verdict(d), {Reject::cross_field, -1, -1}));
  put_bits(d.data(), ld->offsets[4], 3, 7);
  CHECK(same(verdict(d), {Reject::field_range, 4, -1}));
  std::mt19937_64 rng(5);
  const InstructionSpec* mma = find_mnemonic("MMA.FP8");
  d = encode(test::random_instruction(*mma, rng));
  put_bits(d.data(), mma->offsets[static_cast<size_t>(mma->field_index("acc"))], 6, 9);
  CHECK(same(verdict(d), {Reject::accumulator_range, mma->field_index("acc"), -1}));
  CHECK(std::string(reject_name(Reject::cross_field)) == "cross_field");
}

TEST_CASE("a binary program names the descriptor that fails to decode", "[isa][encoding]") {
  const Descriptor good = a_write();
  std::string bytes(reinterpret_cast<const char*>(good.data()), good.size());
  bytes += bytes;
  CHECK(from_binary(bytes, "p.bin").descriptors.size() == 2);
  bytes[64 + 1] = static_cast<char>(0x21);  // descriptor 1: version 1 with reserved bit 13
  CHECK_THROWS_WITH(from_binary(bytes, "p.bin"), "p.bin: descriptor 1 (byte offset 64): WRITE: reserved bit 13 is set");
  CHECK_THROWS_WITH(from_binary(bytes.substr(0, 100), "p.bin"),
                    "p.bin: 100 bytes is not a whole number of 64-byte descriptors");
  CHECK(from_binary("", "empty.bin").descriptors.empty());
}

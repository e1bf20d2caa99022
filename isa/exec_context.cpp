#include "isa/exec_context.h"

#include <algorithm>

#include <fmt/format.h>

#include "isa/disassembler.h"

namespace hwlab::isa {
namespace {

constexpr uint64_t kCopyChunkBytes = uint64_t{1} << 20;

}  // namespace

std::string describe_range(GpuId gpu, uint64_t offset, uint64_t bytes) {
  return fmt::format("{}:[{:#x}, {:#x})", gpu.str(), offset, offset + bytes);
}

std::string ExecContext::context() const {
  std::string what = fmt::format("{} {}", insn_.spec->mnemonic, format_operands(insn_));
  if (parent_) {
    return fmt::format("{} (expanded from {} at descriptor {})", what, parent_->insn_.spec->mnemonic,
                       parent_->insn_.index);
  }
  return what;
}

void ExecContext::fail(const std::string& why) const {
  const Instruction& top = parent_ ? parent_->insn_ : insn_;
  throw UserError(fmt::format("{}: queue {}: {}: {}", describe_location(top), queue_id().str(), context(), why));
}

void ExecContext::check(GpuId gpu, uint64_t offset, uint64_t bytes, Access access) const {
  if (offset >= kOffsetLimit || bytes > kOffsetLimit - offset)
    fail(fmt::format("{} bytes at {}:{:#x} pass the end of the 2^40-byte offset space", bytes, gpu.str(), offset));
  if (bytes > machine_.memory.limit_bytes())
    fail(fmt::format("{} bytes exceed the memory model's limit of {} bytes", bytes, machine_.memory.limit_bytes()));
  if (!machine_.windows.allows(queue_id(), gpu, offset, bytes, access))
    fail(fmt::format("{} {} outside the queue's {} windows", access == kRead ? "reads" : "writes",
                     describe_range(gpu, offset, bytes), access == kRead ? "read" : "write"));
}

std::vector<uint8_t> ExecContext::load(GpuId gpu, uint64_t offset, uint64_t bytes) const {
  check(gpu, offset, bytes, kRead);
  return machine_.memory.read(gpu, offset, bytes);
}

void ExecContext::store(GpuId gpu, uint64_t offset, const uint8_t* data, uint64_t bytes) {
  check(gpu, offset, bytes, kWrite);
  try {
    machine_.memory.write(gpu, offset, data, bytes);
  } catch (const UserError& e) {
    fail(e.what());
  }
}

void ExecContext::copy(GpuId from, uint64_t from_offset, GpuId to, uint64_t to_offset, uint64_t bytes) {
  check(from, from_offset, bytes, kRead);
  check(to, to_offset, bytes, kWrite);
  // Chunks run backwards when the destination overlaps the source from above.
  const bool backwards = from == to && to_offset > from_offset && to_offset < from_offset + bytes;
  std::vector<uint8_t> chunk;
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t n = std::min(kCopyChunkBytes, bytes - done);
    const uint64_t at = backwards ? bytes - done - n : done;
    chunk.resize(n);
    machine_.memory.read(from, from_offset + at, chunk.data(), n);
    try {
      machine_.memory.write(to, to_offset + at, chunk.data(), n);
    } catch (const UserError& e) {
      fail(e.what());
    }
    done += n;
  }
}

uint64_t ExecContext::load_u64(GpuId gpu, uint64_t offset, Access access) const {
  check(gpu, offset, 8, access);
  const std::vector<uint8_t> b = machine_.memory.read(gpu, offset, 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | b[static_cast<size_t>(i)];
  return v;
}

void ExecContext::store_u64(GpuId gpu, uint64_t offset, uint64_t value) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  store(gpu, offset, b, 8);
}

void ExecContext::add(GpuId from, GpuId to, unsigned plane, uint64_t bytes, bool sync) {
  const LinkClass c = link_class(from, to);
  const auto k = static_cast<size_t>(c);
  Counters& n = machine_.counters;
  n.by_instruction[insn_.spec->mnemonic].bytes[k] += bytes;
  n.bytes[k] += bytes;
  if (c == LinkClass::ib) n.ib_bytes_by_plane[plane % kPlanesMax] += bytes;
  (sync ? n.sync_pairs : n.data_pairs)[k][{from, to}] += bytes;
}

void ExecContext::run_primitive(Instruction primitive) {
  primitive.where = insn_.where;
  primitive.index = insn_.index;
  const std::string why = validate(primitive);
  ExecContext inner(machine_, queue_, primitive, this);
  if (!why.empty()) inner.fail("invalid expansion: " + why);
  ++machine_.counters.by_instruction[primitive.spec->mnemonic].executed;
  ++machine_.counters.steps;
  if (primitive.spec->semantics->execute(inner, primitive) != StepResult::done)
    inner.fail("a primitive of a macro-instruction cannot block");
}

void ExecContext::jump_to_descriptor(int index) {
  queue_.pc = static_cast<size_t>(index - queue_.program.first_index);
  queue_.jumped = true;
}

}  // namespace hwlab::isa

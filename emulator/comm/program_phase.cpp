#include "emulator/comm/program_phase.h"

#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "isa/encoding.h"
#include "isa/program.h"

namespace hwlab::emulator {
namespace {

using RegionIndex = std::map<std::pair<int, uint64_t>, const isa::MemoryRegion*>;

// What the co-processor's front end sees: the descriptor's 64 bytes, decoded.
isa::Instruction through_encoding(const isa::Instruction& insn) {
  const isa::Descriptor bytes = isa::encode(insn);
  isa::DecodeResult d = isa::decode(bytes.data());
  if (!d.ok() || d.instruction.spec != insn.spec || d.instruction.values != insn.values)
    throw std::logic_error(fmt::format("{} descriptor {} does not survive its encoding: {}", insn.spec->mnemonic,
                                       insn.index, d.ok() ? "values differ" : d.error));
  d.instruction.index = insn.index;
  return d.instruction;
}

ProgramDescriptor with_table(const isa::Instruction& insn, int gpu, const RegionIndex& regions) {
  ProgramDescriptor out{insn, {}};
  const uint64_t entries = insn.u("entries");
  if (entries == 0) return out;
  const auto it = regions.find({gpu, insn.u("table")});
  if (it == regions.end() || it->second->bytes.size() != entries * isa::kRoutingEntryBytes)
    throw std::logic_error(fmt::format("GPU {}: {} table of {} entries not in the memory image", gpu,
                                       insn.spec->mnemonic, entries));
  out.entries.resize(entries);
  for (uint64_t i = 0; i < entries; ++i) {
    const std::string why = isa::decode_entry(it->second->bytes.data() + i * isa::kRoutingEntryBytes, out.entries[i]);
    if (!why.empty())
      throw std::logic_error(fmt::format("GPU {}: {} table entry {}: {}", gpu, insn.spec->mnemonic, i, why));
  }
  return out;
}

bool is(const isa::Instruction& insn, const char* mnemonic) { return std::strcmp(insn.spec->mnemonic, mnemonic) == 0; }

}  // namespace

void load_programs(const isa::moe::MoePrograms& moe, ProgramPhase& p) {
  p.gpus = moe.gpus;
  p.gpus_per_node = moe.gpus_per_node;
  p.dispatch_row_bytes = moe.dispatch_row_bytes;
  p.combine_row_bytes = moe.combine_row_bytes;
  RegionIndex regions;
  for (const isa::MemoryRegion& r : moe.image.regions)
    regions[{static_cast<int>(r.gpu.node) * moe.gpus_per_node + static_cast<int>(r.gpu.gpu), r.offset}] = &r;

  const std::vector<isa::QueueProgram> dispatch = isa::split_queues(moe.dispatch);
  const std::vector<isa::QueueProgram> combine = isa::split_queues(moe.combine);
  if (static_cast<int>(dispatch.size()) != moe.gpus || static_cast<int>(combine.size()) != moe.gpus)
    throw std::logic_error("the MoE programs do not have one queue per GPU");
  p.programs.resize(static_cast<size_t>(moe.gpus));
  for (int g = 0; g < moe.gpus; ++g) {
    GpuProgram& gp = p.programs[static_cast<size_t>(g)];
    const auto& d = dispatch[static_cast<size_t>(g)].instructions;
    const auto& c = combine[static_cast<size_t>(g)].instructions;
    auto final_stage = [](const isa::Instruction& i) { return is(i, "COMBINE") && i.u("stage") == 1; };
    gp.forward_stage = c.size() == 4;
    const bool shaped =
        d.size() == 2 && is(d[0], "DISPATCH") && is(d[1], "WAIT") &&
        (c.size() == 1 ? final_stage(c[0])
                       : c.size() == 4 && is(c[0], "COMBINE") && c[0].u("stage") == 0 && final_stage(c[1]) &&
                             is(c[2], "WAIT") && final_stage(c[3]));
    if (!shaped)
      throw std::logic_error(fmt::format("GPU {}: the MoE programs are not DISPATCH; WAIT and COMBINE final, or "
                                         "COMBINE forward; COMBINE final; WAIT; COMBINE final", g));
    gp.dispatch = with_table(through_encoding(d[0]), g, regions);
    gp.dispatch_wait_insn = through_encoding(d[1]);
    if (gp.forward_stage) {
      gp.combine_forward = with_table(through_encoding(c[0]), g, regions);
      gp.combine_final = with_table(through_encoding(c[1]), g, regions);
      gp.combine_wait_insn = through_encoding(c[2]);
      gp.combine_gathered = with_table(through_encoding(c[3]), g, regions);
    } else {
      gp.combine_final = with_table(through_encoding(c[0]), g, regions);
    }
    gp.descriptors = d.size() + c.size();
  }
  const auto G = static_cast<size_t>(moe.gpus);
  for (SignalBarrier* b : {&p.dispatch_done, &p.combine_forwarded}) {
    b->release.assign(G, sc_core::SC_ZERO_TIME);
    b->released.assign(G, 0);
  }
  p.dispatch_landed.assign(G, sc_core::SC_ZERO_TIME);
  p.forward_landed.assign(G, sc_core::SC_ZERO_TIME);
  p.outputs_ready.assign(G, 0);
  p.outputs_ready_at.assign(G, sc_core::SC_ZERO_TIME);
}

}  // namespace hwlab::emulator

#include "isa/program.h"

#include <map>

#include <fmt/format.h>

#include "isa/encoding.h"
#include "isa/insns/insns.h"

namespace hwlab::isa {

std::string QueueId::str() const { return fmt::format("{}.q{}", gpu.str(), queue); }

std::string to_binary(const Program& program) {
  std::string out;
  out.reserve(program.descriptors.size() * kDescriptorBytes);
  for (const Instruction& insn : program.descriptors) {
    const Descriptor d = encode(insn);
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  return out;
}

Program from_binary(std::string_view bytes, const std::string& file_name) {
  if (bytes.size() % kDescriptorBytes != 0)
    throw UserError(SourceLocation{file_name, 0, 0},
                    fmt::format("{} bytes is not a whole number of {}-byte descriptors", bytes.size(),
                                kDescriptorBytes));
  Program program;
  for (size_t i = 0; i * kDescriptorBytes < bytes.size(); ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + i * kDescriptorBytes;
    DecodeResult r = decode(p);
    if (!r.ok())
      throw UserError(SourceLocation{file_name, 0, 0},
                      fmt::format("descriptor {} (byte offset {}): {}", i, i * kDescriptorBytes, r.error));
    r.instruction.index = static_cast<int>(i);
    r.instruction.where = SourceLocation{file_name, 0, 0};
    program.descriptors.push_back(r.instruction);
  }
  return program;
}

std::string describe_location(const Instruction& insn) {
  if (insn.where.line > 0) return insn.where.str();
  return fmt::format("{}: descriptor {}", insn.where.file.empty() ? "<program>" : insn.where.file, insn.index);
}

std::vector<QueueProgram> split_queues(const Program& program) {
  std::map<QueueId, QueueProgram> queues;
  QueueProgram* current = nullptr;
  std::map<QueueId, const Instruction*> started;
  auto fail = [](const Instruction& insn, const std::string& why) -> void {
    throw UserError(describe_location(insn) + ": " + why);
  };
  for (const Instruction& insn : program.descriptors) {
    if (insn.spec->semantics == &insns::queue) {
      QueueId id{insn.gpu("coproc"), static_cast<unsigned>(insn.u("queue"))};
      if (queues.count(id))
        fail(insn, fmt::format("queue {} was already started at {}", id.str(),
                               describe_location(*started[id])));
      started[id] = &insn;
      current = &queues[id];
      current->id = id;
      current->first_index = insn.index + 1;
      continue;
    }
    if (!current) {
      const QueueId id{};
      current = &queues[id];
      current->id = id;
      current->first_index = insn.index;
      started[id] = &insn;
    }
    if (std::string_view(insn.spec->mnemonic) == "LOOP") {
      const auto target = static_cast<int>(insn.u("target"));
      if (target > insn.index || target < current->first_index)
        fail(insn, fmt::format("LOOP target {} is not in [{}, {}]: the first descriptor of the queue up to the "
                               "LOOP itself",
                               target, current->first_index, insn.index));
    }
    current->instructions.push_back(insn);
  }
  std::vector<QueueProgram> out;
  for (auto& [id, q] : queues) out.push_back(std::move(q));
  return out;
}

}  // namespace hwlab::isa

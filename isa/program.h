// A program: descriptors in file order, split into command queues by QUEUE descriptors. The binary
// file is the descriptors back to back (64 bytes each), nothing else; descriptors before the first
// QUEUE belong to queue n0.g0.q0.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isa/table.h"

namespace hwlab::isa {

struct QueueId {
  GpuId gpu;
  unsigned queue = 0;
  bool operator==(const QueueId& o) const { return gpu == o.gpu && queue == o.queue; }
  bool operator<(const QueueId& o) const { return gpu != o.gpu ? gpu < o.gpu : queue < o.queue; }
  std::string str() const;  // "n0.g1.q0"
};

struct Program {
  std::vector<Instruction> descriptors;  // index i has .index == i
};

// The binary file of a valid program.
std::string to_binary(const Program& program);
// Decodes a binary file; a malformed descriptor is a UserError naming the file, the descriptor, its
// byte offset and the reason.
Program from_binary(std::string_view bytes, const std::string& file_name);

struct QueueProgram {
  QueueId id;
  int first_index = 0;                     // descriptor index of the queue's first instruction
  std::vector<Instruction> instructions;  // without the QUEUE descriptor
};

// The queues in ascending QueueId order (the executor's scheduling order). A queue named twice, or a
// LOOP whose target is after it or outside its queue, is a UserError at the descriptor.
std::vector<QueueProgram> split_queues(const Program& program);

// "file:line:column" for assembled instructions, "file: descriptor N" for decoded ones.
std::string describe_location(const Instruction& insn);

}  // namespace hwlab::isa

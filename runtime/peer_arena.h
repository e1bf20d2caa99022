// One device allocation per GPU that every GPU of the exchange maps (CUDA IPC: the handles travel
// through an NCCL allgather, each process opens its peers'). The SM and copy-engine exchanges write
// straight into these buffers. Collective: every rank constructs its arena at the same point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/communicator.h"

namespace hwlab::runtime {

class PeerArena {
 public:
  PeerArena(Communicator& comm, size_t bytes, const std::string& what);
  ~PeerArena();
  PeerArena(const PeerArena&) = delete;
  PeerArena& operator=(const PeerArena&) = delete;

  uint8_t* base(int gpu) const { return bases_[static_cast<size_t>(gpu)]; }
  uint8_t* mine() const { return bases_[static_cast<size_t>(me_)]; }
  size_t bytes() const { return bytes_; }

 private:
  std::vector<uint8_t*> bases_;
  int me_ = 0;
  size_t bytes_ = 0;
};

// Round up to the 256-byte alignment every sub-buffer of an arena gets.
inline size_t align256(size_t n) { return (n + 255) / 256 * 256; }

}  // namespace hwlab::runtime

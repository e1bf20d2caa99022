// The functional executor's memory: sparse bytes of every GPU of the cluster (4 KiB pages made on
// first write; bytes never written read as zero), and the windows each command queue is granted.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "isa/program.h"

namespace hwlab::isa {

class Memory {
 public:
  // Writes that would make more than `limit_bytes` of pages fail (a UserError), so that a program
  // cannot exhaust the host.
  explicit Memory(uint64_t limit_bytes = uint64_t{1} << 30) : limit_bytes_(limit_bytes) {}

  void read(GpuId gpu, uint64_t offset, uint8_t* out, uint64_t bytes) const;
  void write(GpuId gpu, uint64_t offset, const uint8_t* data, uint64_t bytes);
  std::vector<uint8_t> read(GpuId gpu, uint64_t offset, uint64_t bytes) const;
  void write(GpuId gpu, uint64_t offset, const std::vector<uint8_t>& data) { write(gpu, offset, data.data(), data.size()); }

  uint64_t resident_bytes() const { return pages_.size() * kPageBytes; }
  uint64_t limit_bytes() const { return limit_bytes_; }

  static constexpr uint64_t kPageBytes = 4096;

 private:
  using Page = std::array<uint8_t, kPageBytes>;
  static uint64_t key(GpuId gpu, uint64_t page) { return (pack_gpu(gpu) << (kOffsetBits - 12)) | page; }

  uint64_t limit_bytes_;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
};

enum Access : uint8_t { kRead = 1, kWrite = 2 };

// A range of one GPU's memory that one queue may read and/or write. An access must lie inside one
// window with the needed permission.
struct Window {
  QueueId queue;
  GpuId gpu;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint8_t access = kRead | kWrite;
};

// The windows indexed by (queue, GPU), so that a check looks only at the windows that can match.
class WindowTable {
 public:
  explicit WindowTable(const std::vector<Window>& windows);
  bool allows(const QueueId& queue, GpuId gpu, uint64_t offset, uint64_t bytes, Access access) const;

 private:
  std::map<std::pair<QueueId, GpuId>, std::vector<Window>> windows_;
};

}  // namespace hwlab::isa

#include "isa/memory.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

namespace hwlab::isa {

void Memory::read(GpuId gpu, uint64_t offset, uint8_t* out, uint64_t bytes) const {
  assert(offset + bytes <= kOffsetLimit);
  while (bytes > 0) {
    const uint64_t page = offset / kPageBytes, in_page = offset % kPageBytes;
    const uint64_t n = std::min(bytes, kPageBytes - in_page);
    const auto it = pages_.find(key(gpu, page));
    if (it == pages_.end()) std::memset(out, 0, n);
    else std::memcpy(out, it->second->data() + in_page, n);
    out += n;
    offset += n;
    bytes -= n;
  }
}

std::vector<uint8_t> Memory::read(GpuId gpu, uint64_t offset, uint64_t bytes) const {
  std::vector<uint8_t> out(bytes);
  read(gpu, offset, out.data(), bytes);
  return out;
}

void Memory::write(GpuId gpu, uint64_t offset, const uint8_t* data, uint64_t bytes) {
  assert(offset + bytes <= kOffsetLimit);
  while (bytes > 0) {
    const uint64_t page = offset / kPageBytes, in_page = offset % kPageBytes;
    const uint64_t n = std::min(bytes, kPageBytes - in_page);
    auto it = pages_.find(key(gpu, page));
    if (it == pages_.end()) {
      if (resident_bytes() + kPageBytes > limit_bytes_)
        throw UserError(fmt::format("the memory model would exceed its limit of {} bytes", limit_bytes_));
      auto fresh = std::make_unique<Page>();
      fresh->fill(0);
      it = pages_.emplace(key(gpu, page), std::move(fresh)).first;
    }
    std::memcpy(it->second->data() + in_page, data, n);
    data += n;
    offset += n;
    bytes -= n;
  }
}

WindowTable::WindowTable(const std::vector<Window>& windows) {
  for (const Window& w : windows) windows_[{w.queue, w.gpu}].push_back(w);
}

bool WindowTable::allows(const QueueId& queue, GpuId gpu, uint64_t offset, uint64_t bytes, Access access) const {
  const auto it = windows_.find({queue, gpu});
  if (it == windows_.end()) return false;
  for (const Window& w : it->second) {
    if (!(w.access & access)) continue;
    if (offset >= w.offset && offset - w.offset <= w.bytes && bytes <= w.bytes - (offset - w.offset)) return true;
  }
  return false;
}

}  // namespace hwlab::isa

#include "workloads/trace_export.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::workloads {

namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// NumPy's format 1.0: magic, version, a little-endian u16 header length, then the header dict padded
// with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes.
std::string npy_bytes(const Routing& r) {
  std::string header = fmt::format("{{'descr': '<i4', 'fortran_order': False, 'shape': ({}, {}), }}", r.num_tokens, r.top_k);
  const size_t preamble = 10;
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<uint16_t>(header.size());
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(length >> 8);
  out += header;
  const size_t data = out.size();
  out.resize(data + r.experts.size() * sizeof(int32_t));
  for (size_t i = 0; i < r.experts.size(); ++i) {  // little-endian, whatever the host
    const auto v = static_cast<uint32_t>(r.experts[i]);
    for (size_t b = 0; b < 4; ++b) out[data + 4 * i + b] = static_cast<char>((v >> (8 * b)) & 0xff);
  }
  return out;
}

std::string csv_bytes(const Routing& r) {
  std::string out = fmt::format("# routing trace: {} tokens, top-{} of {} experts, one token per line\n", r.num_tokens,
                                r.top_k, r.num_experts);
  for (int t = 0; t < r.num_tokens; ++t) {
    for (int j = 0; j < r.top_k; ++j) {
      if (j) out += ',';
      out += std::to_string(r.expert(t, j));
    }
    out += '\n';
  }
  return out;
}

}  // namespace

Routing gpu_major(const std::vector<Routing>& by_gpu) {
  Routing all;
  if (by_gpu.empty()) return all;
  all.top_k = by_gpu.front().top_k;
  all.num_experts = by_gpu.front().num_experts;
  for (const Routing& r : by_gpu) {
    assert(r.top_k == all.top_k && r.num_experts == all.num_experts);
    all.num_tokens += r.num_tokens;
    all.experts.insert(all.experts.end(), r.experts.begin(), r.experts.end());
  }
  return all;
}

std::string trace_bytes(const Routing& routing, const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".npy") return npy_bytes(routing);
  if (ext == ".csv") return csv_bytes(routing);
  throw UserError(SourceLocation{path},
                  fmt::format("expected a routing trace file ending in .npy or .csv, found '{}'", ext.empty() ? "no extension" : ext));
}

}  // namespace hwlab::workloads

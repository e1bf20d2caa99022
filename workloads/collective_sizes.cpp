#include "workloads/collective_sizes.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::workloads {

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string suffix = text.substr(digits);
  uint64_t multiple = 0;
  if (suffix.empty()) multiple = 1;
  else if (suffix == "K" || suffix == "k") multiple = 1ULL << 10;
  else if (suffix == "M" || suffix == "m") multiple = 1ULL << 20;
  else if (suffix == "G" || suffix == "g") multiple = 1ULL << 30;
  if (digits == 0 || digits > 12 || multiple == 0)
    throw UserError(fmt::format("{}: expected a size like 8, 64K, 128M or 1G, found '{}'", what, text));
  return std::stoull(text.substr(0, digits)) * multiple;
}

SizeSweep parse_size_sweep(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(text.substr(start, colon - start));
  parts.push_back(text.substr(start));
  if (parts.size() < 2 || parts.size() > 3)
    throw UserError(fmt::format("--bytes: expected MIN:MAX or MIN:MAX:FACTOR (e.g. 1M:1G:2), found '{}'", text));
  SizeSweep s;
  s.min_bytes = parse_byte_size(parts[0], "--bytes MIN");
  s.max_bytes = parse_byte_size(parts[1], "--bytes MAX");
  if (parts.size() == 3) {
    if (parts[2].empty() || parts[2].find_first_not_of("0123456789") != std::string::npos || parts[2].size() > 6)
      throw UserError(fmt::format("--bytes FACTOR: expected an integer of at least 2, found '{}'", parts[2]));
    s.factor = std::stoull(parts[2]);
  }
  if (s.min_bytes == 0) throw UserError("--bytes MIN: expected at least 1 byte, found 0");
  if (s.min_bytes > s.max_bytes)
    throw UserError(fmt::format("--bytes: MIN {} is larger than MAX {}", s.min_bytes, s.max_bytes));
  if (s.factor < 2) throw UserError(fmt::format("--bytes FACTOR: expected an integer of at least 2, found {}", s.factor));
  return s;
}

std::vector<uint64_t> sweep_sizes(const SizeSweep& s) {
  std::vector<uint64_t> out;
  for (uint64_t b = s.min_bytes; b <= s.max_bytes; b *= s.factor) {
    out.push_back(b);
    if (b > s.max_bytes / s.factor) break;
  }
  return out;
}

namespace {
void check_op(const std::string& op) {
  if (op != "alltoall" && op != "alltoallv")
    throw UserError(fmt::format("--op: expected alltoall or alltoallv, found '{}'", op));
}
}  // namespace

uint64_t alltoall_count(const std::string& op, uint64_t bytes, int nranks, int element_bytes) {
  check_op(op);
  const auto n = static_cast<uint64_t>(nranks);
  const uint64_t per_peer = std::max<uint64_t>(1, bytes / static_cast<uint64_t>(element_bytes) / n);
  return per_peer * n;
}

void alltoall_row(const std::string& op, uint64_t count, int nranks, int src, uint64_t* row) {
  check_op(op);
  const auto n = static_cast<uint64_t>(nranks), s = static_cast<uint64_t>(src);
  if (op == "alltoall") {
    std::fill(row, row + n, count / n);
    return;
  }
  uint64_t weight_sum = 0;
  for (uint64_t dst = 0; dst < n; ++dst) weight_sum += 1 + (s + 2 * dst) % n;
  uint64_t given = 0;
  for (uint64_t dst = 0; dst < n; ++dst) {
    const uint64_t c = dst + 1 == n ? count - given : count * (1 + (s + 2 * dst) % n) / weight_sum;
    row[dst] = c;
    given += c;
  }
}

AlltoallSizes alltoall_sizes(const std::string& op, uint64_t bytes, int nranks, int element_bytes) {
  const auto n = static_cast<uint64_t>(nranks);
  AlltoallSizes s;
  s.count = alltoall_count(op, bytes, nranks, element_bytes);
  s.bytes = s.count * static_cast<uint64_t>(element_bytes);
  s.send_counts.resize(n * n);
  for (uint64_t src = 0; src < n; ++src)
    alltoall_row(op, s.count, nranks, static_cast<int>(src), s.send_counts.data() + src * n);
  return s;
}

}  // namespace hwlab::workloads

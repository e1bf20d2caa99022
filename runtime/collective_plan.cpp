#include "runtime/collective_plan.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::runtime {

std::vector<uint64_t> send_displacements(const AlltoallSizes& s, int nranks, int rank) {
  std::vector<uint64_t> d(static_cast<size_t>(nranks), 0);
  for (int dst = 1; dst < nranks; ++dst)
    d[static_cast<size_t>(dst)] = d[static_cast<size_t>(dst) - 1] +
                                  s.send_counts[static_cast<size_t>(rank) * nranks + dst - 1];
  return d;
}

std::vector<uint64_t> recv_displacements(const AlltoallSizes& s, int nranks, int rank) {
  std::vector<uint64_t> d(static_cast<size_t>(nranks), 0);
  for (int src = 1; src < nranks; ++src)
    d[static_cast<size_t>(src)] = d[static_cast<size_t>(src) - 1] +
                                  s.send_counts[static_cast<size_t>(src - 1) * nranks + rank];
  return d;
}

uint64_t recv_total(const AlltoallSizes& s, int nranks, int rank) {
  uint64_t t = 0;
  for (int src = 0; src < nranks; ++src) t += s.send_counts[static_cast<size_t>(src) * nranks + rank];
  return t;
}

}  // namespace hwlab::runtime

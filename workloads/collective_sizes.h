// Message sizes of collective benchmarks, shared by `hwlab emulate collective` and `hwlab measure
// collective` so both run exactly the same exchange: the sizes of a sweep (nccl-tests' -b/-e/-f as
// MIN:MAX[:FACTOR]) and the per-peer element counts of alltoall and alltoallv.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwlab::workloads {

// "8", "64K", "128M", "1G" (binary multiples, as nccl-tests reads them) -> bytes. Throws UserError
// naming `what` on anything else.
uint64_t parse_byte_size(const std::string& text, const std::string& what);

struct SizeSweep {
  uint64_t min_bytes = 0, max_bytes = 0;
  uint64_t factor = 2;
};
// "MIN:MAX[:FACTOR]" (FACTOR >= 2, MIN <= MAX). Throws UserError naming --bytes.
SizeSweep parse_size_sweep(const std::string& text);
// MIN, MIN*FACTOR, ... up to MAX (MAX itself not added unless reached).
std::vector<uint64_t> sweep_sizes(const SizeSweep& sweep);

// Per-rank message of one row: `bytes` is what each rank sends in total (nccl-tests' size column),
// rounded down to a whole number of elements per peer (at least one per peer).
struct AlltoallSizes {
  uint64_t bytes = 0;                 // per rank, after rounding
  uint64_t count = 0;                 // elements per rank (bytes / element size)
  std::vector<uint64_t> send_counts;  // [src * n + dst] elements src sends to dst
};

// alltoall: every peer the same share. alltoallv: uneven shares, peer d of rank s weighted
// 1 + (s + 2d) mod n (deterministic, so every rank knows what every other sends it); each rank still
// sends `count` elements in total.
AlltoallSizes alltoall_sizes(const std::string& op, uint64_t bytes, int nranks, int element_bytes);

// The same without the n^2 matrix (the flow model at 16 384 ranks): elements per rank after rounding,
// and row `src` of send_counts (n entries) for ranks that send `count` elements each.
uint64_t alltoall_count(const std::string& op, uint64_t bytes, int nranks, int element_bytes);
void alltoall_row(const std::string& op, uint64_t count, int nranks, int src, uint64_t* row);

}  // namespace hwlab::workloads

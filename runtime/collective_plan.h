// What `hwlab measure collective` runs: the buffer layout of an alltoall / alltoallv whose sizes come
// from workloads/collective_sizes.h (the same ones `hwlab emulate collective` uses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/collective_sizes.h"

namespace hwlab::runtime {

// Sizes and per-peer counts are shared with `hwlab emulate collective` (workloads/collective_sizes.h).
using workloads::AlltoallSizes;
using workloads::alltoall_sizes;
using workloads::parse_byte_size;
using workloads::parse_size_sweep;
using workloads::SizeSweep;
using workloads::sweep_sizes;

// Offsets of the blocks in a rank's send (by destination) and receive (by source) buffer.
std::vector<uint64_t> send_displacements(const AlltoallSizes& s, int nranks, int rank);
std::vector<uint64_t> recv_displacements(const AlltoallSizes& s, int nranks, int rank);
uint64_t recv_total(const AlltoallSizes& s, int nranks, int rank);

}  // namespace hwlab::runtime

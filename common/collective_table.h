// Collective rows in the form nccl-tests reports them, and the table nccl-tests prints, so that
// emulated and measured collectives read the same way (and the same way as `all_reduce_perf`).
//
// Bandwidths follow nccl-tests (doc/PERFORMANCE.md): algbw = bytes / time in GB/s (1 GB = 1e9 B),
// busbw = algbw * a factor that makes the figure comparable to the hardware's link bandwidth
// whatever the number of ranks n.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace hwlab {

// The ops a CollectiveRow may name, in the order the error messages list them.
const std::vector<std::string>& collective_ops();
bool is_collective_op(const std::string& op);

// busbw / algbw for `op` over `nranks` ranks:
//   allreduce                                        2(n-1)/n
//   allgather, reducescatter, alltoall, alltoallv    (n-1)/n
//   dispatch, combine (MoE all-to-all-v)             (n-1)/n
//   broadcast, reduce, sendrecv                      1
// Throws UserError for an unknown op or nranks < 1.
double bus_bandwidth_factor(const std::string& op, int nranks);

// A row with algbw = bytes / time_us (GB/s) and busbw = algbw * bus_bandwidth_factor(op, nranks).
// redop is "sum" for the reducing ops (allreduce, reducescatter, reduce, combine), "none" otherwise;
// root is 0 for broadcast and reduce, -1 otherwise (set the fields afterwards to change them).
// time_us must be finite and positive, or zero together with bytes (then both bandwidths are 0);
// anything else is a programming error (std::logic_error).
CollectiveRow make_collective_row(std::string op, uint64_t bytes, uint64_t count, std::string type,
                                  double time_us, int nranks, uint64_t wrong = 0);

// The nccl-tests table: '#' header lines (the title if any, column names, units), one line per row,
// then the "# Out of bounds values" and "# Avg bus bandwidth" footer. Columns and widths as
// nccl-tests prints them (one time/algbw/busbw/#wrong group instead of out-of-place + in-place);
// a "# op: <op>" comment line precedes each run of rows with the same op. Trailing blanks of header
// lines are dropped.
std::string format_collective_table(const std::vector<CollectiveRow>& rows,
                                    const std::string& title = "");

}  // namespace hwlab

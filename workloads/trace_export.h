// Routing written out as a trace that workloads/trace_import.h reads back (and NumPy, or any CSV
// reader): the experts of each token, one row per token, in slot order. Gate weights are not part of
// a trace.
#pragma once

#include <string>
#include <vector>

#include "workloads/routing.h"

namespace hwlab::workloads {

// The rows of `routing` as a trace file's bytes, by the extension of `path` (case-insensitive):
// .npy (format 1.0, '<i4', shape (tokens, top_k), C order) or .csv (one token per line, top_k ids
// separated by commas, after a '#' comment line). Throws UserError naming the path for any other
// extension.
std::string trace_bytes(const Routing& routing, const std::string& path);

// The routings of the GPUs of one micro-batch (TokenRouter::route_micro_batch) as one, GPU-major:
// GPU g's tokens are rows [g*T, (g+1)*T), the order in which a trace is dealt out again. Weights are
// left out (a trace has none).
Routing gpu_major(const std::vector<Routing>& by_gpu);

}  // namespace hwlab::workloads

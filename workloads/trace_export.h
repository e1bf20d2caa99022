// Routing written out as a trace that workloads/trace_import.h reads back (and NumPy, or any CSV
// reader): the experts of each token, one row per token, in slot order. Gate weights are not part of
// a trace.
#pragma once

#include <string>

#include "workloads/routing.h"

namespace hwlab::workloads {

// The rows of `routing` as a trace file's bytes, by the extension of `path` (case-insensitive):
// .npy (format 1.0, '<i4', shape (tokens, top_k), C order) or .csv (one token per line, top_k ids
// separated by commas, after a '#' comment line). Throws UserError naming the path for any other
// extension.
std::string trace_bytes(const Routing& routing, const std::string& path);

}  // namespace hwlab::workloads

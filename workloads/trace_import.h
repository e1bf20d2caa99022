// Routing traces recorded elsewhere (a real model's gate, another simulator), read into a Routing.
//
// Formats, chosen by the file's extension (case-insensitive):
//   .npy  NumPy array file, format version 1, 2 or 3; dtype '<i8' or '<i4'; shape (tokens, top_k);
//         C order. Written by e.g. np.save("trace.npy", topk_ids.astype(np.int64)).
//   .csv  one token per line: top_k expert ids separated by commas. Blank lines and lines whose first
//         non-blank character is '#' are skipped.
// Slot order is kept as found. Gate weights are not part of a trace: every slot weighs 1/top_k.
#pragma once

#include <string>

#include "workloads/routing.h"

namespace hwlab::workloads {

// Reads a routing trace for a workload with num_experts experts and top_k experts per token.
// Every token must name top_k distinct experts in [0, num_experts); masked slots (-1) are not
// supported. Throws hwlab::UserError naming the file (and line:column for CSV, token and slot for
// values), what was expected and what was found.
Routing load_routing_trace(const std::string& path, int num_experts, int top_k);

}  // namespace hwlab::workloads

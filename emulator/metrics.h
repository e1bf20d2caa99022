// The measurements of a finished run, in the result schema's terms: layer, dispatch, combine,
// attention and expert-GEMM times, tokens/s, SMs used by communication, bytes and link utilisation,
// and nccl-tests-style rows for dispatch and combine.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "emulator/cluster.h"

namespace hwlab::emulator {

struct RunMetrics {
  nlohmann::json metrics;
  std::vector<CollectiveRow> collectives;
  nlohmann::json run = nlohmann::json::object();  // added to the result's `run` (not metrics: not numbers)
};

RunMetrics collect_metrics(const Cluster& cluster);

// Perfetto / chrome://tracing JSON: one process per GPU, one thread per stream, one slice per task.
std::string trace_json(const Cluster& cluster);

}  // namespace hwlab::emulator

// The workload analysis `hwlab workload traffic` prints: per-GPU IB/NVLink bytes of dispatch and
// combine, expert loads and their imbalance, as text or as JSON ("hwlab.traffic/1").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "workloads/expert_layout.h"
#include "workloads/traffic.h"
#include "workloads/workload_config.h"

namespace hwlab::workloads {

struct TrafficAnalysis {
  WorkloadConfig workload;
  int layer = 0;
  EplbPolicy placement_policy = EplbPolicy::global;
  bool contiguous_placement = false;
  MoeTraffic traffic;  // all micro-batches of the layer together
};

// Routes every micro-batch of `layer`, places experts and adds up the traffic.
TrafficAnalysis analyze_traffic(const WorkloadConfig& workload, int layer);

// Human-readable summary; `per_gpu` adds one line per GPU.
std::string format_traffic(const TrafficAnalysis& analysis, bool per_gpu);

// Deterministic JSON: summary, per-GPU arrays, per-expert loads; `matrices` adds the dense
// [source][destination] byte matrices.
nlohmann::ordered_json traffic_json(const TrafficAnalysis& analysis, bool matrices);

}  // namespace hwlab::workloads

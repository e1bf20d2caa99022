// Turning measurements into the shared result schema (common/result.h) the same way for every
// `hwlab measure` command: resolved platform and workload, `source: measured`, statistics over
// timed repeats, and the folding of a deployment onto the GPUs present.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "runtime/exchange_plan.h"
#include "workloads/workload_config.h"

namespace hwlab::runtime {

// The resolved platform preset (or YAML file) as the result's platform object.
nlohmann::json platform_json(const std::string& name_or_path);
nlohmann::json workload_json(const workloads::WorkloadConfig& workload);

double median(std::vector<double> values);
// Timings of `iterations` repeats from `ranks` ranks, rank-major: each repeat's slowest rank.
std::vector<double> slowest_per_iteration(const std::vector<float>& all, int ranks, int iterations);

// How the deployment is folded onto the GPUs and what each GPU moves (the busiest GPU's bytes):
// {logical_ranks, physical_gpus, ranks_per_gpu_max, dispatch_link_bytes, dispatch_local_bytes,
//  combine_link_bytes, combine_local_bytes, tokens_per_gpu}.
nlohmann::json fold_metrics(const ExchangePlan& plan);
// Bytes the busiest GPU sends in dispatch (all destinations, or only other GPUs).
int64_t dispatch_bytes_max(const ExchangePlan& plan, bool link_only);
int64_t combine_bytes_max(const ExchangePlan& plan, bool link_only);

Result measured_result(nlohmann::json platform, nlohmann::json workload, DeviceInfo device, nlohmann::json metrics,
                       std::vector<CollectiveRow> collectives, const std::string& command);

}  // namespace hwlab::runtime

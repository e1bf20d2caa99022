#include "runtime/result_assembly.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "common/config/print.h"
#include "common/version.h"
#include "workloads/run_configs.h"

namespace hwlab::runtime {

nlohmann::json platform_json(const std::string& name) {
  auto run = workloads::load_run_configs({{config::ConfigKind::platform, name}}, {});
  return nlohmann::json::parse(config::to_json(*run.platform).dump());
}

nlohmann::json workload_json(const workloads::WorkloadConfig& w) {
  return nlohmann::json::parse(config::to_json(w).dump());
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<double> slowest_per_iteration(const std::vector<float>& all, int ranks, int iterations) {
  std::vector<double> out(static_cast<size_t>(iterations), 0.0);
  for (int r = 0; r < ranks; ++r)
    for (int i = 0; i < iterations; ++i)
      out[static_cast<size_t>(i)] =
          std::max(out[static_cast<size_t>(i)], static_cast<double>(all[static_cast<size_t>(r) * iterations + i]));
  return out;
}

int64_t dispatch_bytes_max(const ExchangePlan& plan, bool link_only) {
  int64_t best = 0;
  for (const GpuExchange& g : plan.gpus)
    best = std::max(best, (link_only ? g.remote_send_rows() : g.total_send_rows) * plan.dispatch_row_bytes);
  return best;
}

int64_t combine_bytes_max(const ExchangePlan& plan, bool link_only) {
  // Combine sends back one row per received row.
  int64_t best = 0;
  for (const GpuExchange& g : plan.gpus)
    best = std::max(best, (link_only ? g.remote_recv_rows() : g.total_recv_rows) * plan.combine_row_bytes);
  return best;
}

nlohmann::json fold_metrics(const ExchangePlan& plan) {
  int ranks_max = 0;
  for (const GpuExchange& g : plan.gpus) ranks_max = std::max(ranks_max, g.num_ranks);
  const int64_t d_all = dispatch_bytes_max(plan, false), d_link = dispatch_bytes_max(plan, true);
  const int64_t c_all = combine_bytes_max(plan, false), c_link = combine_bytes_max(plan, true);
  return {{"logical_ranks", plan.fold.logical_ranks()},
          {"physical_gpus", plan.fold.physical_gpus()},
          {"ranks_per_gpu_max", ranks_max},
          {"tokens_per_rank", plan.tokens_per_rank},
          {"dispatch_link_bytes", d_link},
          {"dispatch_local_bytes", d_all - d_link},
          {"combine_link_bytes", c_link},
          {"combine_local_bytes", c_all - c_link}};
}

Result measured_result(nlohmann::json platform, nlohmann::json workload, DeviceInfo device, nlohmann::json metrics,
                       std::vector<CollectiveRow> collectives, const std::string& command) {
  Result r;
  r.source = "measured";
  r.tool_version = version();
  r.git_commit = git_commit();
  r.platform = std::move(platform);
  r.workload = std::move(workload);
  r.proposal = nullptr;
  r.device = std::move(device);
  r.metrics = std::move(metrics);
  r.collectives = std::move(collectives);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[64];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  r.run = {{"command", command}, {"date_utc", stamp}};
  return r;
}

}  // namespace hwlab::runtime

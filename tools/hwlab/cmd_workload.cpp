// `hwlab workload traffic [WORKLOAD] [--layer L] [--set ...] [--per-gpu] [--json] [--out FILE]`:
// per-GPU IB/NVLink bytes of dispatch and combine, expert loads and imbalance for one MoE layer.
// `hwlab workload routing [WORKLOAD] [--layer L] [--micro-batch M] [--set ...] --out FILE.npy|.csv`:
// one micro-batch's routing of every GPU as a trace (GPU g's tokens are rows [g*T, (g+1)*T), the
// order in which `routing.popularity: trace` deals a trace out again).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "tools/hwlab/commands.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/trace_export.h"
#include "workloads/traffic_report.h"

namespace hwlab::cli {

namespace {

struct TrafficOptions {
  std::string workload = "dsv3-prefill";
  std::vector<std::string> overrides;
  int layer = 0;
  bool per_gpu = false, json = false, matrices = false;
  std::string out;
};

void traffic(const TrafficOptions& o) {
  auto run = workloads::load_run_configs({{config::ConfigKind::workload, o.workload}}, o.overrides);
  const workloads::TrafficAnalysis a = workloads::analyze_traffic(*run.workload, o.layer);
  const bool json = o.json || o.matrices;
  const std::string text = json ? workloads::traffic_json(a, o.matrices).dump(1) + "\n" : workloads::format_traffic(a, o.per_gpu);
  if (o.out.empty()) std::fputs(text.c_str(), stdout);
  else write_file_atomically(o.out, text);
}

struct RoutingOptions {
  std::string workload = "dsv3-prefill";
  std::vector<std::string> overrides;
  int layer = 0, micro_batch = 0;
  std::string out;
};

void routing(const RoutingOptions& o) {
  auto run = workloads::load_run_configs({{config::ConfigKind::workload, o.workload}}, o.overrides);
  const workloads::WorkloadConfig& w = *run.workload;
  if (o.layer < 0 || o.layer >= w.model.moe_layers())
    throw UserError(fmt::format("--layer {}: expected an MoE layer in [0, {})", o.layer, w.model.moe_layers()));
  if (o.micro_batch < 0 || o.micro_batch >= w.deployment.micro_batches)
    throw UserError(fmt::format("--micro-batch {}: expected a micro-batch in [0, {})", o.micro_batch,
                                w.deployment.micro_batches));
  const workloads::TokenRouter router(w);
  const std::vector<workloads::Routing> by_gpu = router.route_micro_batch(o.layer, o.micro_batch);
  const workloads::Routing all = workloads::gpu_major(by_gpu);
  write_file_atomically(o.out, workloads::trace_bytes(all, o.out));
  std::printf("%s: layer %d, micro-batch %d: %d GPUs x %d tokens = %d tokens, top-%d of %d experts\n", o.out.c_str(),
              o.layer, o.micro_batch, static_cast<int>(by_gpu.size()), w.deployment.tokens_per_gpu, all.num_tokens,
              all.top_k, all.num_experts);
}

}  // namespace

void add_workload_command(CLI::App& app) {
  auto* workload = app.add_subcommand("workload", "Analyse a workload: routing, expert placement, traffic");
  workload->require_subcommand(1);
  auto o = std::make_shared<TrafficOptions>();
  auto* traffic_cmd = workload->add_subcommand(
      "traffic", "Per-GPU IB/NVLink bytes of dispatch and combine, expert loads and imbalance of one MoE layer");
  traffic_cmd->add_option("workload", o->workload, "workload preset or YAML file")->capture_default_str();
  traffic_cmd->add_option("--layer", o->layer, "MoE layer (0-based)")->capture_default_str();
  traffic_cmd->add_option("--set", o->overrides, "override a key: workload.routing.seed=7 (repeatable)");
  traffic_cmd->add_flag("--per-gpu", o->per_gpu, "one line per GPU in the text output");
  traffic_cmd->add_flag("--json", o->json, "print JSON (hwlab.traffic/1) instead of text");
  traffic_cmd->add_flag("--matrices", o->matrices, "JSON with the [source][destination] byte matrices");
  traffic_cmd->add_option("--out", o->out, "write to this file instead of stdout");
  traffic_cmd->callback([o] { traffic(*o); });

  auto r = std::make_shared<RoutingOptions>();
  auto* routing_cmd = workload->add_subcommand(
      "routing", "Write one micro-batch's routing of every GPU as a trace (.npy or .csv) that "
                 "routing.popularity: trace reads back");
  routing_cmd->add_option("workload", r->workload, "workload preset or YAML file")->capture_default_str();
  routing_cmd->add_option("--layer", r->layer, "MoE layer (0-based)")->capture_default_str();
  routing_cmd->add_option("--micro-batch", r->micro_batch, "micro-batch (0-based)")->capture_default_str();
  routing_cmd->add_option("--set", r->overrides, "override a key: workload.routing.seed=7 (repeatable)");
  routing_cmd->add_option("--out", r->out, "the trace file: .npy (int32) or .csv")->required();
  routing_cmd->callback([r] { routing(*r); });
}

}  // namespace hwlab::cli

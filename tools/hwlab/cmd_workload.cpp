// `hwlab workload traffic [WORKLOAD] [--layer L] [--set ...] [--per-gpu] [--json] [--out FILE]`:
// per-GPU IB/NVLink bytes of dispatch and combine, expert loads and imbalance for one MoE layer.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "tools/hwlab/commands.h"
#include "workloads/run_configs.h"
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
}

}  // namespace hwlab::cli

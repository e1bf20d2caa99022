// `hwlab emulate --platform P --workload W [--proposal X] [--set k=v]... --out result.json
//  [--trace trace.json] [--layers N] [--comm-only] [--functional]`: one run of the SystemC cluster model.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/collective_table.h"
#include "common/config/print.h"
#include "common/error.h"
#include "common/version.h"

#include <fmt/format.h>
#include "emulator/collective.h"
#include "emulator/emulate.h"
#include "workloads/collective_sizes.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {

namespace {

struct EmulateOptions {
  std::string platform, workload, proposal, out, trace;
  std::vector<std::string> overrides;
  emulator::EmulationOptions emulation;
  bool quiet = false;
};

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

void emulate(const EmulateOptions& o, const std::string& command) {
  std::vector<workloads::ConfigInput> inputs = {{config::ConfigKind::platform, o.platform},
                                                {config::ConfigKind::workload, o.workload}};
  if (!o.proposal.empty()) inputs.push_back({config::ConfigKind::proposal, o.proposal});
  const auto run = workloads::load_run_configs(inputs, o.overrides);
  emulator::EmulationOutput out = emulator::emulate(run, o.emulation, !o.trace.empty());
  out.result.run["command"] = command;
  // Both files or neither: write the trace first, the result last.
  if (!o.trace.empty()) write_file_atomically(o.trace, out.trace);
  if (!o.out.empty()) write_result(o.out, out.result);
  if (o.quiet) return;
  const auto& m = out.result.metrics;
  std::printf("%s on %s%s: layer %.1f us, dispatch %.1f us, combine %.1f us, experts %.1f us, attention %.1f us, "
              "%.0f tokens/s, %d comm SMs\n",
              run.workload->name.c_str(), run.platform->name.c_str(),
              run.proposal ? (" + " + run.proposal->name).c_str() : "", m["layer_us"].get<double>(),
              m["dispatch_us"].get<double>(), m["combine_us"].get<double>(), m["gemm_us"].get<double>(),
              m["attention_us"].get<double>(), m["tokens_per_s"].get<double>(), m["comm_sms"].get<int>());
  if (!out.result.collectives.empty())
    std::fputs(format_collective_table(out.result.collectives, "emulated dispatch / combine (per GPU)").c_str(),
               stdout);
}

struct CollectiveOptions {
  std::string platform, proposal, op = "alltoall", bytes = "1M:1G:2", out, model;  // model "": the platform's
  std::vector<std::string> overrides;
  int gpus = 8, sms = 20;
};

void collective(const CollectiveOptions& o, const std::string& command) {
  std::vector<workloads::ConfigInput> inputs = {{config::ConfigKind::platform, o.platform}};
  if (!o.proposal.empty()) inputs.push_back({config::ConfigKind::proposal, o.proposal});
  const auto run = workloads::load_run_configs(inputs, o.overrides);
  emulator::CollectiveSpec spec;
  spec.op = o.op;
  spec.gpus = o.gpus;
  spec.sms = o.sms;
  if (!o.model.empty() && o.model != "packet" && o.model != "flow")
    throw UserError(fmt::format("--model: expected packet or flow, found '{}'", o.model));
  spec.flow_model = o.model.empty() ? run.platform->emulation.network_model == config::NetworkModel::flow
                                    : o.model == "flow";
  const std::string model = spec.flow_model ? "flow" : "packet";
  spec.sizes = workloads::sweep_sizes(workloads::parse_size_sweep(o.bytes));
  workloads::alltoall_count(o.op, spec.sizes.front(), o.gpus, spec.element_bytes);  // checks --op
  std::vector<emulator::FlowEstimate> flow;
  const auto rows = emulator::emulate_collective(*run.platform, run.proposal, spec, &flow);
  const std::string title = fmt::format("emulated {} on {} x {}{} ({}{})", o.op, o.gpus, run.platform->name,
                                        run.proposal ? " + " + run.proposal->name : std::string(),
                                        run.proposal && run.proposal->coprocessor ? std::string("co-processor")
                                                                                  : fmt::format("{} SMs", o.sms),
                                        spec.flow_model ? ", flow model" : "");
  if (!o.out.empty()) {
    Result r;
    r.source = "emulated";
    r.tool_version = version();
    r.git_commit = git_commit();
    r.platform = nlohmann::json::parse(config::to_json(*run.platform).dump());
    r.workload = {{"collective", o.op}, {"gpus", o.gpus}, {"comm_sms", o.sms}, {"model", model}};
    r.proposal = run.proposal ? nlohmann::json::parse(config::to_json(*run.proposal).dump()) : nlohmann::json();
    r.collectives = rows;
    r.run = {{"command", command}};
    for (size_t i = 0; i < flow.size(); ++i)
      r.run["flow_bottlenecks"].push_back({{"bytes", rows[i].bytes},
                                           {"resource", flow[i].bottleneck.name},
                                           {"GBps", flow[i].bottleneck.GBps},
                                           {"resource_bytes", flow[i].bottleneck.bytes},
                                           {"busy_us", flow[i].bottleneck.busy_us},
                                           {"fill_us", flow[i].bottleneck.fill_us}});
    write_result(o.out, r);
  }
  std::fputs(format_collective_table(rows, title).c_str(), stdout);
  for (size_t i = 0; i < flow.size(); ++i)
    std::printf("# flow model, %llu B: bottleneck %s, busy %.1f us + fill %.1f us\n",
                static_cast<unsigned long long>(rows[i].bytes), flow[i].bottleneck.name.c_str(),
                flow[i].bottleneck.busy_us, flow[i].bottleneck.fill_us);
}

}  // namespace

void add_emulate_command(CLI::App& app, int argc, char** argv) {
  auto o = std::make_shared<EmulateOptions>();
  auto* cmd = app.add_subcommand("emulate", "Run the SystemC cluster model of a workload on a platform (+ proposal)");
  cmd->add_option("--platform", o->platform, "platform preset or YAML file (required)");
  cmd->add_option("--workload", o->workload, "workload preset or YAML file (required)");
  cmd->add_option("--proposal", o->proposal, "proposal preset or YAML file (none: the platform as it is)");
  cmd->add_option("--set", o->overrides, "override a key: platform.nic.achievable_GBps=25 (repeatable)");
  cmd->add_option("--out", o->out, "result file (hwlab.result/1 JSON)");
  cmd->add_option("--trace", o->trace, "Perfetto trace file (JSON)");
  cmd->add_option("--layers", o->emulation.layers, "MoE layers to run (0: all)")->capture_default_str();
  cmd->add_flag("--comm-only", o->emulation.comm_only, "one dispatch and one combine, no compute (DeepEP-style)");
  cmd->add_flag("--functional", o->emulation.functional,
                "also run each micro-batch's co-processor programs with real bytes on the ISA executor and check "
                "every token copy and combined row (small hidden sizes)");
  cmd->add_flag("--quiet", o->quiet, "print nothing (with --out)");
  cmd->require_subcommand(0, 1);
  const std::string command = command_line(argc, argv);
  cmd->callback([o, command, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    if (o->platform.empty() || o->workload.empty())
      throw UserError("emulate: expected --platform and --workload (or the `collective` subcommand)");
    emulate(*o, command);
  });

  auto c = std::make_shared<CollectiveOptions>();
  auto* coll = cmd->add_subcommand("collective", "Emulated nccl-tests table of an alltoall / alltoallv");
  coll->add_option("--platform", c->platform, "platform preset or YAML file")->required();
  coll->add_option("--proposal", c->proposal, "proposal (a co-processor moves the data instead of SMs)");
  coll->add_option("--op", c->op, "alltoall or alltoallv")->capture_default_str();
  coll->add_option("--gpus", c->gpus, "GPUs (at most one node, or whole nodes)")->capture_default_str();
  coll->add_option("--bytes", c->bytes, "sizes per rank MIN:MAX[:FACTOR], e.g. 1M:1G:2")->capture_default_str();
  coll->add_option("--sms", c->sms, "SMs of the SM-driven exchange")->capture_default_str();
  coll->add_option("--model", c->model,
                   "packet: the SystemC model, every chunk on every hop; flow: per-resource loads from the traffic "
                   "matrix (for thousands of GPUs; no link faults). Default: platform.emulation.network_model");
  coll->add_option("--set", c->overrides, "override a platform or proposal key (repeatable)");
  coll->add_option("--out", c->out, "result file (hwlab.result/1 with the collective rows)");
  coll->callback([c, command] { collective(*c, command); });
}

}  // namespace hwlab::cli

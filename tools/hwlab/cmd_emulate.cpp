// `hwlab emulate --platform P --workload W [--proposal X] [--set k=v]... --out result.json
//  [--trace trace.json] [--layers N] [--comm-only]`: one run of the SystemC cluster model.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/collective_table.h"
#include "emulator/emulate.h"
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

}  // namespace

void add_emulate_command(CLI::App& app, int argc, char** argv) {
  auto o = std::make_shared<EmulateOptions>();
  auto* cmd = app.add_subcommand("emulate", "Run the SystemC cluster model of a workload on a platform (+ proposal)");
  cmd->add_option("--platform", o->platform, "platform preset or YAML file")->required();
  cmd->add_option("--workload", o->workload, "workload preset or YAML file")->required();
  cmd->add_option("--proposal", o->proposal, "proposal preset or YAML file (none: the platform as it is)");
  cmd->add_option("--set", o->overrides, "override a key: platform.nic.achievable_GBps=25 (repeatable)");
  cmd->add_option("--out", o->out, "result file (hwlab.result/1 JSON)");
  cmd->add_option("--trace", o->trace, "Perfetto trace file (JSON)");
  cmd->add_option("--layers", o->emulation.layers, "MoE layers to run (0: all)")->capture_default_str();
  cmd->add_flag("--comm-only", o->emulation.comm_only, "one dispatch and one combine, no compute (DeepEP-style)");
  cmd->add_flag("--quiet", o->quiet, "print nothing (with --out)");
  const std::string command = command_line(argc, argv);
  cmd->callback([o, command] { emulate(*o, command); });
}

}  // namespace hwlab::cli

// `hwlab config show CONFIG... [--set kind.key=value]... [--json]`: the fully resolved configs.
#include <cstdio>
#include <string>
#include <vector>

#include "common/config/print.h"
#include "tools/hwlab/commands.h"
#include "workloads/run_configs.h"

namespace hwlab::cli {

namespace {

struct ShowOptions {
  std::vector<std::string> inputs;
  std::vector<std::string> overrides;
  bool json = false;
};

void show(const ShowOptions& o) {
  std::vector<workloads::ConfigInput> inputs;
  for (const auto& i : o.inputs) inputs.push_back({std::nullopt, i});
  const workloads::RunConfigs run = workloads::load_run_configs(inputs, o.overrides);

  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  std::string yaml = "# resolved from: " + config::join(run.trees.sources, ", ") + "\n";
  auto emit = [&](const char* kind, const auto& value) {
    json[kind] = config::to_json(value);
    yaml += std::string("---\nkind: ") + kind + "\n" + config::to_yaml(value);
  };
  if (run.platform) emit("platform", *run.platform);
  if (run.workload) emit("workload", *run.workload);
  if (run.proposal) emit("proposal", *run.proposal);
  std::fputs(o.json ? (json.dump(2) + "\n").c_str() : yaml.c_str(), stdout);
}

}  // namespace

void add_config_command(CLI::App& app) {
  auto* config_cmd = app.add_subcommand("config", "Inspect and validate platform, workload and proposal configs");
  config_cmd->require_subcommand(1);
  auto opts = std::make_shared<ShowOptions>();
  auto* show_cmd = config_cmd->add_subcommand(
      "show", "Print the fully resolved configs (presets or YAML files; a proposal's platform overrides applied)");
  show_cmd->add_option("configs", opts->inputs, "preset names (h800, dsv3-prefill, ...) or YAML files")->required();
  show_cmd->add_option("--set", opts->overrides, "override a key: platform.gpu.sm_count=120 (repeatable)");
  show_cmd->add_flag("--json", opts->json, "print JSON instead of commented YAML");
  show_cmd->callback([opts] { show(*opts); });
}

}  // namespace hwlab::cli

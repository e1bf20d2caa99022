#include "workloads/run_configs.h"

namespace hwlab::workloads {

RunConfigs load_run_configs(const std::vector<ConfigInput>& inputs, const std::vector<std::string>& overrides) {
  RunConfigs run;
  for (const auto& input : inputs) {
    config::ConfigKind kind;
    config::ConfigNode tree = input.kind ? config::load_config(*input.kind, input.name_or_path)
                                         : config::load_config_any_kind(input.name_or_path, &kind);
    if (input.kind) kind = *input.kind;
    const std::string source = tree.location.file;
    config::add_config(run.trees, kind, std::move(tree), source);
  }
  config::resolve(run.trees, overrides);
  if (run.trees.platform)
    run.platform = config::read_config<config::PlatformConfig>(run.trees, config::ConfigKind::platform);
  if (run.trees.workload) run.workload = read_workload(*run.trees.workload);
  if (run.trees.proposal)
    run.proposal = config::read_config<config::ProposalConfig>(run.trees, config::ConfigKind::proposal);
  return run;
}

}  // namespace hwlab::workloads

// The typed configs of one run: what `hwlab config show`, `emulate` and `measure` all load.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/config_set.h"
#include "common/config/platform.h"
#include "common/config/proposal.h"
#include "workloads/workload_config.h"

namespace hwlab::workloads {

struct RunConfigs {
  config::ConfigSet trees;  // the merged trees, with the locations of every value
  std::optional<config::PlatformConfig> platform;
  std::optional<WorkloadConfig> workload;
  std::optional<config::ProposalConfig> proposal;
};

struct ConfigInput {
  std::optional<config::ConfigKind> kind;  // unset: taken from the file's `kind:`
  std::string name_or_path;
};

// Loads, merges (proposal platform overrides, then --set) and reads every config given.
RunConfigs load_run_configs(const std::vector<ConfigInput>& inputs, const std::vector<std::string>& overrides);

}  // namespace hwlab::workloads

// Loading the configs of one run: a platform, a workload and a proposal, each from a preset name or
// a YAML file, merged in this order:
//   platform file  <-  proposal's `platform:` overrides  <-  --set platform.<key>=<value>
//   workload file  <-  --set workload.<key>=<value>
//   proposal file  <-  --set proposal.<key>=<value>
// Every value keeps the location it came from, so errors found later point at the right text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/fields.h"
#include "common/config/node.h"

namespace hwlab::config {

enum class ConfigKind { platform, workload, proposal };
const char* kind_name(ConfigKind kind);

struct ConfigSet {
  std::optional<ConfigNode> platform, workload, proposal;
  std::vector<std::string> sources;  // what was merged, in order, for provenance

  std::optional<ConfigNode>& tree(ConfigKind kind);
  const std::optional<ConfigNode>& tree(ConfigKind kind) const;
};

// `name_or_path`: a preset name (`h800`) or a YAML file. The file's `kind:` must equal `kind`.
ConfigNode load_config(ConfigKind kind, const std::string& name_or_path);
// Same, with the kind taken from the file's `kind:` key.
ConfigNode load_config_any_kind(const std::string& name_or_path, ConfigKind* kind_out);

// Adds a config to the set; a second config of the same kind is an error.
void add_config(ConfigSet& set, ConfigKind kind, ConfigNode tree, const std::string& source);
// Applies the proposal's platform overrides, then the --set overrides ("kind.a.b=value").
void resolve(ConfigSet& set, const std::vector<std::string>& overrides);

// Typed read of a resolved tree (kind-specific structs provide fields() and check()).
template <class T>
T read_config(const ConfigSet& set, ConfigKind kind, LocationMap* where = nullptr) {
  const auto& tree = set.tree(kind);
  if (!tree) throw UserError(std::string("no ") + kind_name(kind) + " config given");
  return read_struct<T>(*tree, kind_name(kind), where);
}

}  // namespace hwlab::config

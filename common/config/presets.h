// Built-in presets: the YAML files under configs/, embedded at build time so that `hwlab --platform
// h800` works from any directory. Errors in a preset still name its path in the repository.
#pragma once

#include <string>
#include <vector>

namespace hwlab::config {

struct BuiltinPreset {
  const char* kind;  // platform | workload | proposal
  const char* name;  // file name without .yaml
  const char* path;  // configs/<kind>s/<name>.yaml
  const char* text;
};

const std::vector<BuiltinPreset>& builtin_presets();

// The preset of that kind and name, or nullptr.
const BuiltinPreset* find_preset(const std::string& kind, const std::string& name);
std::vector<std::string> preset_names(const std::string& kind);

}  // namespace hwlab::config

#include "common/config/presets.h"

#include <string_view>

namespace hwlab::config {

const BuiltinPreset* find_preset(const std::string& kind, const std::string& name) {
  for (const auto& p : builtin_presets())
    if (kind == p.kind && name == p.name) return &p;
  return nullptr;
}

std::vector<std::string> preset_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& p : builtin_presets())
    if (kind == p.kind) names.emplace_back(p.name);
  return names;
}

}  // namespace hwlab::config

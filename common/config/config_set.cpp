#include "common/config/config_set.h"

#include <filesystem>
#include <functional>

#include "common/atomic_file.h"
#include "common/config/platform.h"
#include "common/config/presets.h"
#include "common/config/suggest.h"

namespace hwlab::config {

namespace {

const std::vector<std::string> kKindNames = {"platform", "workload", "proposal"};

bool looks_like_path(const std::string& s) {
  auto ends_with = [&](const char* suffix) {
    std::string_view sv(s), suf(suffix);
    return sv.size() >= suf.size() && sv.substr(sv.size() - suf.size()) == suf;
  };
  return s.find('/') != std::string::npos || ends_with(".yaml") || ends_with(".yml") ||
         std::filesystem::exists(s);
}

// The `kind:` of a loaded file, checked.
ConfigKind kind_of(const ConfigNode& tree) {
  if (!tree.is_map()) {
    throw UserError(tree.location, "expected a mapping with 'kind: platform|workload|proposal', found " +
                                       describe(tree));
  }
  const ConfigNode* kind = tree.find("kind");
  if (!kind) throw UserError(tree.location, "missing required key 'kind' (platform, workload or proposal)");
  if (kind->kind == ConfigNode::Kind::scalar) {
    for (size_t i = 0; i < kKindNames.size(); ++i)
      if (kind->scalar == kKindNames[i]) return static_cast<ConfigKind>(i);
  }
  throw UserError(kind->location, "kind: expected one of platform, workload, proposal, found " + describe(*kind) +
                                      (kind->kind == ConfigNode::Kind::scalar ? did_you_mean(kind->scalar, kKindNames)
                                                                             : std::string()));
}

ConfigNode load_named(const std::string& kind_hint, const std::string& name_or_path) {
  if (looks_like_path(name_or_path)) return load_yaml_file(name_or_path);
  std::vector<std::string> kinds = kind_hint.empty() ? kKindNames : std::vector<std::string>{kind_hint};
  std::vector<std::string> all;
  for (const auto& k : kinds) {
    if (const BuiltinPreset* p = find_preset(k, name_or_path)) return parse_yaml(p->text, p->path);
    for (auto& n : preset_names(k)) all.push_back(n);
  }
  throw UserError("no " + (kind_hint.empty() ? std::string("preset") : kind_hint + " preset") + " named '" +
                  name_or_path + "'" + did_you_mean(name_or_path, all) + "; presets: " + join(all) +
                  "; or give the path of a YAML file");
}

// Splits "platform.gpu.sm_count=120" into kind, key path and value.
struct Override {
  ConfigKind kind;
  std::vector<std::string> keys;
  std::string value;
};

Override parse_override(const std::string& arg) {
  const std::string where = "--set " + arg;
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError(where + ": expected KIND.KEY.PATH=VALUE (e.g. platform.gpu.sm_count=120)");
  std::string path = arg.substr(0, eq);
  Override o{ConfigKind::platform, {}, arg.substr(eq + 1)};
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw UserError(where + ": empty key in '" + path + "'");
    o.keys.push_back(key);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  bool found = false;
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (o.keys.front() == kKindNames[i]) {
      o.kind = static_cast<ConfigKind>(i);
      found = true;
    }
  }
  if (!found)
    throw UserError(where + ": the path must start with platform, workload or proposal, found '" +
                    o.keys.front() + "'" + did_you_mean(o.keys.front(), kKindNames));
  o.keys.erase(o.keys.begin());
  if (o.keys.empty()) throw UserError(where + ": expected a key after '" + path + "'");
  return o;
}

void apply_override(ConfigSet& set, const std::string& arg) {
  Override o = parse_override(arg);
  auto& tree = set.tree(o.kind);
  if (!tree) throw UserError("--set " + arg + ": no " + std::string(kind_name(o.kind)) + " config was given");
  const std::string source = "--set " + arg;
  ConfigNode value = parse_yaml(o.value, source);
  if (value.kind == ConfigNode::Kind::null && o.value.empty()) {
    value.kind = ConfigNode::Kind::scalar;  // `key=` sets an empty string
  }
  // Locations inside a one-line --set are not interesting: point at the argument itself.
  SourceLocation loc{source, 0, 0};
  std::function<void(ConfigNode&)> relocate = [&](ConfigNode& n) {
    n.location = loc;
    for (auto& k : n.key_locations) k = loc;
    for (auto& [k, v] : n.entries) relocate(v);
    for (auto& v : n.items) relocate(v);
  };
  relocate(value);
  ConfigNode* node = &*tree;
  std::string walked = kind_name(o.kind);
  for (size_t i = 0; i + 1 < o.keys.size(); ++i) {
    walked += "." + o.keys[i];
    ConfigNode* next = node->find(o.keys[i]);
    if (!next) {
      ConfigNode empty_map;
      empty_map.kind = ConfigNode::Kind::map;
      empty_map.location = loc;
      next = &node->set(o.keys[i], empty_map, loc);
    } else if (!next->is_map()) {
      throw UserError(source + ": " + walked + " is " + describe(*next) + " (set at " + next->location.str() +
                      "), not a mapping with keys");
    }
    node = next;
  }
  node->set(o.keys.back(), std::move(value), loc);
  set.sources.push_back(source);
}

}  // namespace

const char* kind_name(ConfigKind kind) { return kKindNames[static_cast<size_t>(kind)].c_str(); }

std::optional<ConfigNode>& ConfigSet::tree(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::platform: return platform;
    case ConfigKind::workload: return workload;
    case ConfigKind::proposal: break;
  }
  return proposal;
}

const std::optional<ConfigNode>& ConfigSet::tree(ConfigKind kind) const {
  return const_cast<ConfigSet*>(this)->tree(kind);
}

ConfigNode load_config(ConfigKind kind, const std::string& name_or_path) {
  ConfigNode tree = load_named(kind_name(kind), name_or_path);
  ConfigKind found = kind_of(tree);
  if (found != kind) {
    throw UserError(tree.find("kind")->location, std::string("kind: expected ") + kind_name(kind) +
                                                     " (this file was given as the " + kind_name(kind) +
                                                     "), found " + kind_name(found));
  }
  return tree;
}

ConfigNode load_config_any_kind(const std::string& name_or_path, ConfigKind* kind_out) {
  ConfigNode tree = load_named("", name_or_path);
  *kind_out = kind_of(tree);
  return tree;
}

void add_config(ConfigSet& set, ConfigKind kind, ConfigNode tree, const std::string& source) {
  auto& slot = set.tree(kind);
  if (slot) {
    throw UserError(tree.location, std::string("a second ") + kind_name(kind) + " config; one was already given (" +
                                       slot->location.file + ")");
  }
  slot = std::move(tree);
  set.sources.push_back(source);
}

void resolve(ConfigSet& set, const std::vector<std::string>& overrides) {
  if (set.proposal) {
    if (const ConfigNode* platform_overrides = set.proposal->find("platform")) {
      if (!platform_overrides->is_map() && platform_overrides->kind != ConfigNode::Kind::null) {
        throw UserError(platform_overrides->location,
                        "proposal.platform: expected a mapping of platform keys to override, found " +
                            describe(*platform_overrides));
      }
      if (platform_overrides->is_map()) {
        if (set.platform) {
          merge_into(*set.platform, *platform_overrides);
          set.sources.push_back(set.proposal->location.file + " (platform overrides)");
        } else {
          // No platform to apply them to: still check that they name real platform keys.
          LocationMap where;
          Reader reader(*platform_overrides, "proposal.platform", where, /*partial=*/true);
          PlatformConfig ignored;
          ignored.fields(reader);
          reader.finish();
        }
      }
    }
  }
  for (const auto& o : overrides) apply_override(set, o);
}

}  // namespace hwlab::config

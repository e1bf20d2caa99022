// A YAML document as a plain tree that remembers, for every key and value, the file, line and column
// it came from. Configs from several files (platform, proposal overrides, --set) are merged on this
// tree, so an error found after merging still points at the text that supplied the bad value.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace hwlab::config {

struct ConfigNode {
  enum class Kind { null, scalar, map, sequence };

  Kind kind = Kind::null;
  std::string scalar;   // the scalar's text as written (without quotes)
  bool quoted = false;  // a quoted scalar is always a string, never a number or a boolean
  std::vector<std::pair<std::string, ConfigNode>> entries;  // map entries, in file order
  std::vector<SourceLocation> key_locations;                // where each map key was written
  std::vector<ConfigNode> items;                            // sequence items
  SourceLocation location;                                  // where the value starts

  bool is_map() const { return kind == Kind::map; }
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  // Location of the key `key` in this map, or of the map itself if the key is absent.
  SourceLocation key_location(std::string_view key) const;
  // Sets (or replaces) entry `key`; returns the stored node.
  ConfigNode& set(const std::string& key, ConfigNode value, SourceLocation key_location);
  // Removes entry `key` if present.
  void erase(std::string_view key);
};

// "a mapping", "a sequence", "a scalar \"x\"", "nothing (null)": for "expected X, found Y" messages.
std::string describe(const ConfigNode& node);

// Parses one YAML document. Syntax errors, several documents and duplicate keys throw UserError with
// file:line:column.
ConfigNode parse_yaml(std::string_view text, const std::string& file_name);
ConfigNode load_yaml_file(const std::string& path);

// Deep merge: maps merge key by key, anything else in `overlay` replaces what `base` had (keeping
// the overlay's locations).
void merge_into(ConfigNode& base, const ConfigNode& overlay);

}  // namespace hwlab::config

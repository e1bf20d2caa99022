#include "common/config/node.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/atomic_file.h"

namespace hwlab::config {

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

SourceLocation ConfigNode::key_location(std::string_view key) const {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].first == key) return key_locations[i];
  return location;
}

ConfigNode& ConfigNode::set(const std::string& key, ConfigNode value, SourceLocation key_loc) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == key) {
      entries[i].second = std::move(value);
      key_locations[i] = std::move(key_loc);
      return entries[i].second;
    }
  }
  entries.emplace_back(key, std::move(value));
  key_locations.push_back(std::move(key_loc));
  return entries.back().second;
}

void ConfigNode::erase(std::string_view key) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == key) {
      entries.erase(entries.begin() + static_cast<long>(i));
      key_locations.erase(key_locations.begin() + static_cast<long>(i));
      return;
    }
  }
}

std::string describe(const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::null: return "nothing (null)";
    case ConfigNode::Kind::map: return "a mapping";
    case ConfigNode::Kind::sequence: return "a sequence";
    case ConfigNode::Kind::scalar: break;
  }
  std::string s = node.scalar;
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return "\"" + s + "\"";
}

namespace {

// Length of the valid UTF-8 prefix of `s` (the whole string when it is valid). YAML text must be
// Unicode; yaml-cpp passes invalid bytes through, and they would break every JSON writer later.
size_t valid_utf8_prefix(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return i;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return i;
}

void require_utf8(const std::string& s, const SourceLocation& where) {
  const size_t ok = valid_utf8_prefix(s);
  if (ok != s.size())
    throw UserError(where, "expected UTF-8 text, found the invalid byte 0x" +
                               fmt::format("{:02X}", static_cast<unsigned char>(s[ok])) + " after \"" +
                               s.substr(0, ok) + "\"");
}

SourceLocation location_of(const YAML::Mark& mark, const std::string& file) {
  // yaml-cpp marks are 0-based; ours are 1-based.
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

ConfigNode convert(const YAML::Node& node, const SourceLocation& fallback, const std::string& file) {
  ConfigNode out;
  // Null nodes that were never written (`key:` with nothing after it) carry no useful mark.
  out.location = node.Mark().is_null() ? fallback : location_of(node.Mark(), file);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = ConfigNode::Kind::null;
      break;
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::scalar;
      out.scalar = node.Scalar();
      require_utf8(out.scalar, out.location);
      out.quoted = node.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::sequence;
      for (const auto& item : node) out.items.push_back(convert(item, out.location, file));
      break;
    case YAML::NodeType::Map:
      out.kind = ConfigNode::Kind::map;
      for (auto it = node.begin(); it != node.end(); ++it) {
        SourceLocation key_loc = location_of(it->first.Mark(), file);
        if (!it->first.IsScalar()) {
          throw UserError(key_loc, "expected a plain key (a name), found a " +
                                       std::string(it->first.IsMap() ? "mapping" : "sequence") +
                                       " used as a key");
        }
        const std::string& key = it->first.Scalar();
        require_utf8(key, key_loc);
        if (out.find(key) != nullptr) {
          throw UserError(key_loc, "duplicate key '" + key + "' (first written at " +
                                       out.key_location(key).str() + ")");
        }
        out.entries.emplace_back(key, convert(it->second, key_loc, file));
        out.key_locations.push_back(key_loc);
      }
      break;
  }
  return out;
}

// Line (1-based) of the second document start ("---" at column 0) or the first "..." end marker
// followed by more content; 0 when the text holds at most one document. YAML forbids these markers
// inside content, so a textual scan is exact. (yaml-cpp 0.7's LoadAll can loop forever on some
// malformed input, e.g. ",", so it is not used to count documents.)
int second_document_line(std::string_view text) {
  bool content_seen = false, ended = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    ++line_no;
    auto marker = [&](std::string_view m) {
      return line.substr(0, 3) == m && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    };
    const size_t first = line.find_first_not_of(" \t\r");
    const bool blank = first == std::string_view::npos || line[first] == '#';
    if (marker("---")) {
      if (content_seen || ended) return line_no;
      content_seen = true;
    } else if (marker("...")) {
      ended = true;
    } else if (!blank) {
      if (ended) return line_no;
      if (line[0] != '%') content_seen = true;  // directives precede the first "---"
    }
    pos = end + 1;
  }
  return 0;
}

}  // namespace

ConfigNode parse_yaml(std::string_view text, const std::string& file_name) {
  if (int line = second_document_line(text))
    throw UserError(SourceLocation{file_name, line, 1}, "expected one YAML document, found a second one here");
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    SourceLocation where = e.mark.is_null() ? SourceLocation{file_name, 0, 0}
                                            : location_of(e.mark, file_name);
    throw UserError(where, "invalid YAML: " + e.msg);
  }
  return convert(doc, SourceLocation{file_name, 1, 1}, file_name);
}

ConfigNode load_yaml_file(const std::string& path) { return parse_yaml(read_file(path), path); }

void merge_into(ConfigNode& base, const ConfigNode& overlay) {
  if (base.is_map() && overlay.is_map()) {
    for (size_t i = 0; i < overlay.entries.size(); ++i) {
      const auto& [key, value] = overlay.entries[i];
      if (ConfigNode* existing = base.find(key)) {
        merge_into(*existing, value);
      } else {
        base.set(key, value, overlay.key_locations[i]);
      }
    }
    return;
  }
  base = overlay;
}

}  // namespace hwlab::config

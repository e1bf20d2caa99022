#include "common/config/fields.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace hwlab::config {

std::string Bounds::describe() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max) return fmt::format(" in [{}, {}]", min, max);
  if (has_min) return fmt::format(" {} {}", min_exclusive ? ">" : ">=", min);
  if (has_max) return fmt::format(" <= {}", max);
  return "";
}

namespace {

[[noreturn]] void expected(const ConfigNode& node, const std::string& path, const std::string& what) {
  throw UserError(node.location, path + ": expected " + what + ", found " + describe(node));
}

const std::string& scalar_text(const ConfigNode& node, const std::string& path, const std::string& what) {
  if (node.kind != ConfigNode::Kind::scalar) expected(node, path, what);
  return node.scalar;
}

}  // namespace

int64_t parse_integer(const ConfigNode& node, const std::string& path, const Bounds& bounds) {
  const std::string what = "an integer" + bounds.describe();
  const std::string& text = scalar_text(node, path, what);
  if (node.quoted || text.empty()) expected(node, path, what);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || std::isspace(static_cast<unsigned char>(text[0])))
    expected(node, path, what);
  if (!bounds.contains(static_cast<double>(v))) expected(node, path, what);
  return v;
}

double parse_number(const ConfigNode& node, const std::string& path, const Bounds& bounds) {
  const std::string what = "a number" + bounds.describe();
  const std::string& text = scalar_text(node, path, what);
  if (node.quoted || text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    expected(node, path, what);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  // strtod also accepts "inf", "nan" and hexadecimal floats: only finite decimal numbers are valid.
  bool decimal = text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  if (*end != '\0' || errno == ERANGE || !decimal || !std::isfinite(v)) expected(node, path, what);
  if (!bounds.contains(v)) expected(node, path, what);
  return v;
}

bool parse_bool(const ConfigNode& node, const std::string& path) {
  const std::string& text = scalar_text(node, path, "true or false");
  if (!node.quoted && text == "true") return true;
  if (!node.quoted && text == "false") return false;
  expected(node, path, "true or false");
}

std::string parse_string(const ConfigNode& node, const std::string& path) {
  return scalar_text(node, path, "a string");
}

size_t parse_choice(const ConfigNode& node, const std::string& path, const std::vector<std::string>& names) {
  const std::string what = "one of " + join(names, ", ");
  const std::string& text = scalar_text(node, path, what);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return i;
  throw UserError(node.location, path + ": expected " + what + ", found " + describe(node) +
                                     did_you_mean(text, names));
}

Reader::Reader(const ConfigNode& map, std::string path, LocationMap& where, bool partial)
    : map_(map), path_(std::move(path)), where_(where), partial_(partial) {}

const ConfigNode* Reader::take(const char* key, const char* doc) {
  allowed_.push_back(key);
  const ConfigNode* node = map_.find(key);
  if (!node) {
    // Reported by finish(), after unknown keys: a misspelt key is both unknown and missing, and
    // "unknown key 'sm_cont' (did you mean 'sm_count'?)" is the message that helps.
    if (!partial_ && missing_.empty()) missing_ = std::string("missing required key '") + key + "' (" + doc + ")";
    return nullptr;
  }
  consumed(key);
  where_[child_path(key)] = node->location;
  return node;
}

void Reader::consumed(const char* key) { seen_.push_back(key); }

void Reader::required(const char* key, int& out, const char* doc, Bounds b) {
  const ConfigNode* n = take(key, doc);
  if (!n) return;
  int64_t v = parse_integer(*n, child_path(key), b);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    expected(*n, child_path(key), "an integer of at most 32 bits");
  out = static_cast<int>(v);
}
void Reader::required(const char* key, int64_t& out, const char* doc, Bounds b) {
  if (const ConfigNode* n = take(key, doc)) out = parse_integer(*n, child_path(key), b);
}
void Reader::required(const char* key, uint64_t& out, const char* doc, Bounds b) {
  if (b.min < 0) b.min = 0;
  if (const ConfigNode* n = take(key, doc)) out = static_cast<uint64_t>(parse_integer(*n, child_path(key), b));
}
void Reader::required(const char* key, double& out, const char* doc, Bounds b) {
  if (const ConfigNode* n = take(key, doc)) out = parse_number(*n, child_path(key), b);
}
void Reader::required(const char* key, bool& out, const char* doc) {
  if (const ConfigNode* n = take(key, doc)) out = parse_bool(*n, child_path(key));
}
void Reader::required(const char* key, std::string& out, const char* doc) {
  if (const ConfigNode* n = take(key, doc)) out = parse_string(*n, child_path(key));
}

void Reader::required(const char* key, std::vector<int>& out, const char* doc, Bounds b) {
  const ConfigNode* n = take(key, doc);
  if (!n) return;
  const std::string path = child_path(key);
  if (n->kind != ConfigNode::Kind::sequence)
    throw UserError(n->location, path + ": expected a sequence of integers like [1, 2], found " + describe(*n));
  out.clear();
  for (size_t i = 0; i < n->items.size(); ++i) {
    const int64_t v = parse_integer(n->items[i], path + "[" + std::to_string(i) + "]", b);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      expected(n->items[i], path, "an integer of at most 32 bits");
    out.push_back(static_cast<int>(v));
  }
}

void Reader::optional(const char* key, bool& out, bool default_value, const char* doc) {
  out = default_value;
  if (present(key)) required(key, out, doc);
  else allowed_.push_back(key);
}

void Reader::optional(const char* key, std::string& out, const std::string& default_value, const char* doc) {
  out = default_value;
  if (present(key)) required(key, out, doc);
  else allowed_.push_back(key);
}

void Reader::passthrough(const char* key) {
  allowed_.push_back(key);
  if (present(key)) consumed(key);
}

Reader Reader::sub_reader(const char* key, const ConfigNode& node) {
  if (!node.is_map()) {
    throw UserError(node.location, child_path(key) + ": expected a mapping of keys, found " + describe(node));
  }
  Reader sub(node, child_path(key), where_, partial_);
  sub.key_location_ = map_.key_location(key);
  return sub;
}

void Reader::finish() {
  for (size_t i = 0; i < map_.entries.size(); ++i) {
    const std::string& key = map_.entries[i].first;
    bool known = false;
    for (const auto& s : seen_) known = known || s == key;
    if (known) continue;
    throw UserError(map_.key_locations[i],
                    (path_.empty() ? std::string("config") : path_) + ": unknown key '" + key + "'" +
                        did_you_mean(key, allowed_) + "; valid keys here: " + join(allowed_));
  }
  if (!missing_.empty())
    throw UserError(key_location_.file.empty() ? map_.location : key_location_, (path_.empty() ? std::string("config") : path_) + ": " + missing_);
}

SourceLocation Checker::location(const std::string& path) const {
  std::string p = prefix_.empty() ? path : (path.empty() ? prefix_ : prefix_ + "." + path);
  while (true) {
    auto it = where_.find(p);
    if (it != where_.end()) return it->second;
    auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p.resize(dot);
  }
  return {};
}

void Checker::fail(const std::string& path, const std::string& message) const {
  std::string full = prefix_.empty() ? path : (path.empty() ? prefix_ : prefix_ + "." + path);
  throw UserError(location(path), full + ": " + message);
}

}  // namespace hwlab::config

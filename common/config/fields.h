// Typed config structs describe their keys once, in a `fields(V&)` member that every visitor walks:
//
//   struct GpuSpec {
//     int sm_count = 0;
//     template <class V> void fields(V& v) {
//       v.required("sm_count", sm_count, "streaming multiprocessors per GPU", at_least(1));
//     }
//   };
//
// Reader fills a struct from a ConfigNode and reports every user error with file:line:column, the
// field path, what was expected and what was found; unknown keys get the nearest valid name.
// JsonWriter and YamlPrinter (config_print.h) turn a struct back into the fully resolved config.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/node.h"
#include "common/config/suggest.h"

namespace hwlab::config {

// Numeric bounds of a field; violated bounds are quoted in the error message.
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;

  bool contains(double x) const { return (min_exclusive ? x > min : x >= min) && x <= max; }
  std::string describe() const;  // "", " > 0", " >= 1", " in [0, 1]"
};
inline Bounds any_value() { return {}; }
inline Bounds positive() { return {0.0, std::numeric_limits<double>::infinity(), true}; }
inline Bounds at_least(double x) { return {x, std::numeric_limits<double>::infinity(), false}; }
inline Bounds between(double lo, double hi) { return {lo, hi, false}; }

// One allowed value of an enumerated field: its spelling in YAML and its C++ value.
template <class E>
struct Choice {
  const char* name;
  E value;
};
template <class E>
using Choices = std::vector<Choice<E>>;

template <class E>
const char* choice_name(const Choices<E>& choices, E value) {
  for (const auto& c : choices)
    if (c.value == value) return c.name;
  return "?";
}

// Where each field's value was written, by dotted path ("platform.gpu.sm_count").
using LocationMap = std::map<std::string, SourceLocation>;

// Scalar conversions with the messages every reader shares. `path` names the field.
int64_t parse_integer(const ConfigNode& node, const std::string& path, const Bounds& bounds);
double parse_number(const ConfigNode& node, const std::string& path, const Bounds& bounds);
bool parse_bool(const ConfigNode& node, const std::string& path);
std::string parse_string(const ConfigNode& node, const std::string& path);
size_t parse_choice(const ConfigNode& node, const std::string& path, const std::vector<std::string>& names);

class Reader {
 public:
  // `partial`: missing required keys are not an error (overrides checked on their own).
  Reader(const ConfigNode& map, std::string path, LocationMap& where, bool partial = false);

  void required(const char* key, int& out, const char* doc, Bounds b = {});
  void required(const char* key, int64_t& out, const char* doc, Bounds b = {});
  void required(const char* key, uint64_t& out, const char* doc, Bounds b = {});
  void required(const char* key, double& out, const char* doc, Bounds b = {});
  void required(const char* key, bool& out, const char* doc);
  void required(const char* key, std::string& out, const char* doc);
  // A sequence of integers, each within `b` (e.g. GPU indices).
  void required(const char* key, std::vector<int>& out, const char* doc, Bounds b = {});

  template <class T>
  void optional(const char* key, T& out, const T& default_value, const char* doc, Bounds b = {}) {
    out = default_value;
    if (present(key)) read_present(key, out, doc, b);
    else allowed_.push_back(key);
  }
  void optional(const char* key, bool& out, bool default_value, const char* doc);
  void optional(const char* key, std::string& out, const std::string& default_value, const char* doc);

  template <class E>
  void choice(const char* key, E& out, const Choices<E>& choices, const char* doc) {
    const ConfigNode* node = take(key, doc);
    if (node) out = choices[parse_choice(*node, child_path(key), names_of(choices))].value;
  }
  template <class E>
  void optional_choice(const char* key, E& out, E default_value, const Choices<E>& choices, const char* doc) {
    out = default_value;
    if (present(key)) choice(key, out, choices, doc);
    else allowed_.push_back(key);
  }

  template <class S>
  void section(const char* key, S& out, const char* doc) {
    const ConfigNode* node = take(key, doc);
    if (!node) return;
    Reader sub = sub_reader(key, *node);
    out.fields(sub);
    sub.finish();
  }
  template <class S>
  void optional_section(const char* key, std::optional<S>& out, const char* doc) {
    out.reset();
    if (!present(key) || map_.find(key)->kind == ConfigNode::Kind::null) {
      allowed_.push_back(key);
      if (present(key)) consumed(key);
      return;
    }
    out.emplace();
    section(key, *out, doc);
  }
  // A key that is allowed here but read by someone else (e.g. a proposal's platform overrides).
  void passthrough(const char* key);

  // Rejects keys no field asked for, naming the nearest valid key.
  void finish();

  const std::string& path() const { return path_; }

 private:
  bool present(const char* key) const { return map_.find(key) != nullptr; }
  const ConfigNode* take(const char* key, const char* doc);  // nullptr when absent
  void consumed(const char* key);
  template <class T>
  void read_present(const char* key, T& out, const char* doc, const Bounds& b) {
    required(key, out, doc, b);
  }
  void read_present(const char* key, bool& out, const char* doc, const Bounds&) { required(key, out, doc); }
  void read_present(const char* key, std::string& out, const char* doc, const Bounds&) {
    required(key, out, doc);
  }
  Reader sub_reader(const char* key, const ConfigNode& node);
  std::string child_path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  template <class E>
  static std::vector<std::string> names_of(const Choices<E>& choices) {
    std::vector<std::string> names;
    for (const auto& c : choices) names.emplace_back(c.name);
    return names;
  }

  const ConfigNode& map_;
  std::string path_;
  LocationMap& where_;
  bool partial_;
  std::vector<std::string> allowed_;  // every key a field asked for, present or not
  std::vector<std::string> seen_;     // keys that were read
  std::string missing_;               // the first required key found missing
  SourceLocation key_location_;       // where this section's key was written (empty at the root)
};

// Cross-field checks after reading: errors point at the field that is wrong.
class Checker {
 public:
  Checker(const LocationMap& where, std::string prefix) : where_(where), prefix_(std::move(prefix)) {}
  // Throws UserError at the location of `path` (relative to the prefix) or of its nearest parent.
  [[noreturn]] void fail(const std::string& path, const std::string& message) const;
  void require(bool condition, const std::string& path, const std::string& message) const {
    if (!condition) fail(path, message);
  }
  SourceLocation location(const std::string& path) const;
  // A checker for a sub-struct at `key`.
  Checker sub(const std::string& key) const { return Checker(where_, prefix_.empty() ? key : prefix_ + "." + key); }

 private:
  const LocationMap& where_;
  std::string prefix_;
};

// Reads a whole config struct rooted at `node` (which must be a mapping) and runs its check().
template <class T>
T read_struct(const ConfigNode& node, const std::string& path, LocationMap* where_out = nullptr) {
  LocationMap where;
  if (!node.is_map()) {
    throw UserError(node.location, path + ": expected a mapping of keys, found " + describe(node));
  }
  Reader reader(node, path, where);
  T value;
  value.fields(reader);
  reader.finish();
  value.check(Checker(where, path));
  if (where_out) *where_out = std::move(where);
  return value;
}

}  // namespace hwlab::config

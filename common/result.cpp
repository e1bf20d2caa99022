#include "common/result.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/collective_table.h"
#include "common/error.h"

namespace hwlab {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Top-level keys in the order the writer emits them.
const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"schema",   "source",  "tool",
                                                "platform", "workload", "proposal",
                                                "device",   "metrics", "collectives",
                                                "run"};
  return keys;
}

// A content error found while reading a document: the dotted path of the field and what is wrong.
// parse_result turns it into a UserError naming the file; the writer into a std::logic_error.
struct ContentError : std::runtime_error {
  std::string path;
  ContentError(std::string field_path, const std::string& message)
      : std::runtime_error(message), path(std::move(field_path)) {}
};

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : ", ") + w;
  return s;
}

// "string \"abc\"", "number -5", "nan", "an object", ...: what was found, for error messages.
std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return "string " + json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      return "number " + v.dump();
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "number " + v.dump();
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return "a binary value";
  }
}

[[noreturn]] void fail(const std::string& path, const std::string& expected, const json& found) {
  throw ContentError(path, "expected " + expected + ", found " + describe(found));
}

// The member `key` of `object`; a ContentError when it is missing.
const json& member(const json& object, const std::string& key, const std::string& prefix,
                   const std::string& expected) {
  auto it = object.find(key);
  if (it == object.end()) throw ContentError(join_path(prefix, key), "missing; expected " + expected);
  return *it;
}

void reject_unknown_keys(const json& object, const std::vector<std::string>& valid,
                         const std::string& prefix, const char* what) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(valid.begin(), valid.end(), it.key()) == valid.end()) {
      throw ContentError(join_path(prefix, it.key()),
                         std::string("unknown ") + what + " key; valid keys: " + joined(valid));
    }
  }
}

std::string as_string(const json& v, const std::string& path, bool non_empty = false) {
  if (!v.is_string()) fail(path, non_empty ? "a non-empty string" : "a string", v);
  std::string s = v.get<std::string>();
  if (non_empty && s.empty()) fail(path, "a non-empty string", v);
  return s;
}

uint64_t as_count(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  fail(path, "a non-negative integer", v);
}

int as_int(const json& v, const std::string& path, int minimum) {
  const std::string expected = "an integer of at least " + std::to_string(minimum);
  if (!v.is_number_integer()) fail(path, expected, v);
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int>::max()) ||
        (minimum > 0 && u < static_cast<uint64_t>(minimum))) {
      fail(path, expected, v);
    }
    return static_cast<int>(u);
  }
  int64_t i = v.get<int64_t>();
  if (i < minimum || i > std::numeric_limits<int>::max()) fail(path, expected, v);
  return static_cast<int>(i);
}

double as_finite(const json& v, const std::string& path, bool non_negative) {
  const char* expected = non_negative ? "a finite non-negative number" : "a finite number";
  if (!v.is_number()) fail(path, expected, v);
  double d = v.get<double>();
  if (!std::isfinite(d) || (non_negative && d < 0)) fail(path, expected, v);
  return d;
}

const json& as_object(const json& v, const std::string& path, const std::string& expected) {
  if (!v.is_object()) fail(path, expected, v);
  return v;
}

void check_metrics(const json& metrics, const std::string& prefix) {
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    const std::string& key = it.key();
    const std::string path = join_path(prefix, key);
    // A '.' in a key would make "a.b" ambiguous once flattened.
    if (key.empty() || key.find('.') != std::string::npos) {
      throw ContentError(path, "metric names must be non-empty and contain no '.'");
    }
    if (it->is_object()) {
      check_metrics(*it, path);
    } else {
      as_finite(*it, path, false);
    }
  }
}

CollectiveRow read_collective_row(const json& v, const std::string& path) {
  static const std::vector<std::string> keys = {"op",         "bytes",      "count",
                                                "type",       "redop",      "root",
                                                "time_us",    "algbw_GBps", "busbw_GBps",
                                                "wrong"};
  as_object(v, path, "an object (one nccl-tests row)");
  reject_unknown_keys(v, keys, path, "collective row");
  CollectiveRow row;
  row.op = as_string(member(v, "op", path, "a collective op"), join_path(path, "op"));
  if (!is_collective_op(row.op)) {
    fail(join_path(path, "op"), "one of " + joined(collective_ops()), v["op"]);
  }
  row.bytes = as_count(member(v, "bytes", path, "a byte count"), join_path(path, "bytes"));
  row.count = as_count(member(v, "count", path, "an element count"), join_path(path, "count"));
  row.type = as_string(member(v, "type", path, "a data type name"), join_path(path, "type"), true);
  row.redop = as_string(member(v, "redop", path, "a reduction op (sum, none, ...)"),
                        join_path(path, "redop"), true);
  row.root = as_int(member(v, "root", path, "a root rank (-1 for none)"), join_path(path, "root"), -1);
  row.time_us = as_finite(member(v, "time_us", path, "a time in us"), join_path(path, "time_us"), true);
  row.algbw_GBps = as_finite(member(v, "algbw_GBps", path, "a bandwidth in GB/s"),
                             join_path(path, "algbw_GBps"), true);
  row.busbw_GBps = as_finite(member(v, "busbw_GBps", path, "a bandwidth in GB/s"),
                             join_path(path, "busbw_GBps"), true);
  row.wrong = as_count(member(v, "wrong", path, "a count of wrong elements"), join_path(path, "wrong"));
  return row;
}

DeviceInfo read_device(const json& v) {
  static const std::vector<std::string> keys = {"name", "count", "driver", "extra"};
  as_object(v, "device", "an object with name, count, driver");
  reject_unknown_keys(v, keys, "device", "device");
  DeviceInfo d;
  d.name = as_string(member(v, "name", "device", "the device name"), "device.name", true);
  d.count = as_int(member(v, "count", "device", "the number of devices"), "device.count", 1);
  d.driver = as_string(member(v, "driver", "device", "the driver version"), "device.driver");
  if (auto it = v.find("extra"); it != v.end()) d.extra = as_object(*it, "device.extra", "an object");
  return d;
}

// Validates a whole document and builds the Result; throws ContentError.
Result from_document(const json& doc) {
  if (!doc.is_object()) fail("", "a JSON object at the top level", doc);
  Result r;

  // The schema first: a file of another version may well have other keys.
  auto schema = doc.find("schema");
  if (schema == doc.end()) {
    throw ContentError("schema", std::string("missing; expected \"") + kResultSchema +
                                     "\" (is this an hwlab result file?)");
  }
  if (!schema->is_string()) fail("schema", std::string("the string \"") + kResultSchema + "\"", *schema);
  const std::string version = schema->get<std::string>();
  if (version != kResultSchema) {
    if (version.rfind("hwlab.result/", 0) == 0) {
      throw ContentError("schema", "this file is \"" + version + "\", which this hwlab cannot read; it reads \"" +
                                       kResultSchema + "\"");
    }
    fail("schema", std::string("\"") + kResultSchema + "\"", *schema);
  }
  reject_unknown_keys(doc, top_level_keys(), "", "top-level");

  const json& source = member(doc, "source", "", "\"emulated\" or \"measured\"");
  r.source = as_string(source, "source");
  if (r.source != "emulated" && r.source != "measured") fail("source", "\"emulated\" or \"measured\"", source);

  const json& tool = as_object(member(doc, "tool", "", "an object with version and commit"), "tool",
                               "an object with version and commit");
  reject_unknown_keys(tool, {"version", "commit"}, "tool", "tool");
  r.tool_version = as_string(member(tool, "version", "tool", "the hwlab version"), "tool.version", true);
  r.git_commit = as_string(member(tool, "commit", "tool", "the git commit"), "tool.commit", true);

  const std::string config = "an object (the fully resolved ";
  r.platform = as_object(member(doc, "platform", "", config + "platform config)"), "platform",
                         config + "platform config)");
  r.workload = as_object(member(doc, "workload", "", config + "workload config)"), "workload",
                         config + "workload config)");
  if (auto it = doc.find("proposal"); it != doc.end() && !it->is_null()) {
    r.proposal = as_object(*it, "proposal", config + "proposal config) or null");
  }

  if (auto it = doc.find("device"); it != doc.end() && !it->is_null()) r.device = read_device(*it);
  if (r.source == "measured" && !r.device) {
    throw ContentError("device", "missing; a measured result must name its device (name, count, driver)");
  }

  if (auto it = doc.find("metrics"); it != doc.end()) {
    r.metrics = as_object(*it, "metrics", "an object of metrics");
    check_metrics(r.metrics, "metrics");
  }

  if (auto it = doc.find("collectives"); it != doc.end()) {
    if (!it->is_array()) fail("collectives", "an array of nccl-tests rows", *it);
    for (size_t i = 0; i < it->size(); ++i) {
      r.collectives.push_back(read_collective_row((*it)[i], "collectives[" + std::to_string(i) + "]"));
    }
  }

  if (auto it = doc.find("run"); it != doc.end()) r.run = as_object(*it, "run", "an object of run metadata");
  return r;
}

// Free-form blocks (configs, run, device extra) may hold any JSON, but a NaN or infinity would be
// written as null and not read back as itself.
void check_all_finite(const json& v, const std::string& path) {
  if (v.is_number_float() && !std::isfinite(v.get<double>())) fail(path, "a finite number", v);
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) check_all_finite(*it, join_path(path, it.key()));
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) check_all_finite(v[i], path + "[" + std::to_string(i) + "]");
  }
}

json row_to_json(const CollectiveRow& row) {
  return json{{"op", row.op},
              {"bytes", row.bytes},
              {"count", row.count},
              {"type", row.type},
              {"redop", row.redop},
              {"root", row.root},
              {"time_us", row.time_us},
              {"algbw_GBps", row.algbw_GBps},
              {"busbw_GBps", row.busbw_GBps},
              {"wrong", row.wrong}};
}

json to_document(const Result& r) {
  json doc = json::object();
  doc["schema"] = kResultSchema;
  doc["source"] = r.source;
  doc["tool"] = {{"version", r.tool_version}, {"commit", r.git_commit}};
  doc["platform"] = r.platform;
  doc["workload"] = r.workload;
  doc["proposal"] = r.proposal;
  doc["device"] = nullptr;
  if (r.device) {
    doc["device"] = {{"name", r.device->name},
                     {"count", r.device->count},
                     {"driver", r.device->driver},
                     {"extra", r.device->extra}};
  }
  doc["metrics"] = r.metrics;
  doc["collectives"] = json::array();
  for (const CollectiveRow& row : r.collectives) doc["collectives"].push_back(row_to_json(row));
  doc["run"] = r.run;
  return doc;
}

// json keeps object keys sorted; ordered_json keeps insertion order. Copying one into the other
// key by key gives sorted nested objects under a top level in our own order.
ordered_json to_ordered(const json& v) {
  if (v.is_object()) {
    ordered_json o = ordered_json::object();
    for (auto it = v.begin(); it != v.end(); ++it) o[it.key()] = to_ordered(*it);
    return o;
  }
  if (v.is_array()) {
    ordered_json a = ordered_json::array();
    for (const json& e : v) a.push_back(to_ordered(e));
    return a;
  }
  switch (v.type()) {  // scalars keep their number type (signed, unsigned, float)
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::number_integer: return v.get<int64_t>();
    case json::value_t::number_unsigned: return v.get<uint64_t>();
    case json::value_t::number_float: return v.get<double>();
    default: return nullptr;
  }
}

std::string canonical_text(const Result& r, bool with_run) {
  json doc = to_document(r);
  try {
    from_document(doc);
    check_all_finite(doc, "");
  } catch (const ContentError& e) {
    throw std::logic_error("hwlab::to_json_text: invalid Result: field '" + e.path + "': " + e.what());
  }
  ordered_json out = ordered_json::object();
  for (const std::string& key : top_level_keys()) {
    if (key == "run" && !with_run) continue;
    out[key] = to_ordered(doc[key]);
  }
  try {
    return out.dump(2) + "\n";
  } catch (const json::exception& e) {  // e.g. a string that is not UTF-8
    throw std::logic_error(std::string("hwlab::to_json_text: cannot write Result: ") + e.what());
  }
}

// nlohmann reports where a syntax error was found as a byte count: the byte-th (1-based) byte of
// the text is the last one it read, i.e. the offending character or the end of the offending token.
SourceLocation location_of_byte(const std::string& file, const std::string& text, size_t byte) {
  const size_t offset = std::min(byte == 0 ? 0 : byte - 1, text.size());
  SourceLocation where;
  where.file = file;
  where.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  const size_t newline = offset == 0 ? std::string::npos : text.rfind('\n', offset - 1);
  where.column = static_cast<int>(newline == std::string::npos ? offset + 1 : offset - newline);
  return where;
}

// nlohmann's message without its "[json.exception...] parse error at line L, column C: " prefix
// (we print our own location).
std::string without_nlohmann_prefix(std::string message) {
  size_t start = message.find("parse error");
  if (start != std::string::npos) {
    size_t colon = message.find(": ", start);
    if (colon != std::string::npos) return message.substr(colon + 2);
  }
  size_t bracket = message.find("] ");
  return bracket == std::string::npos ? message : message.substr(bracket + 2);
}

}  // namespace

std::string to_json_text(const Result& result) { return canonical_text(result, true); }

std::string compared_content(const Result& result) { return canonical_text(result, false); }

Result parse_result(const std::string& text, const std::string& file_name) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw UserError(location_of_byte(file_name, text, e.byte),
                    "invalid JSON: " + without_nlohmann_prefix(e.what()));
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    throw UserError(SourceLocation{file_name, 0, 0}, "invalid JSON: " + without_nlohmann_prefix(e.what()));
  }
  try {
    return from_document(doc);
  } catch (const ContentError& e) {
    const std::string where = e.path.empty() ? "" : "field '" + e.path + "': ";
    throw UserError(SourceLocation{file_name, 0, 0}, where + e.what());
  }
}

Result read_result(const std::string& path) { return parse_result(read_file(path), path); }

void write_result(const std::string& path, const Result& result) {
  write_file_atomically(path, to_json_text(result));
}

namespace {
void flatten_into(const json& metrics, const std::string& prefix, std::map<std::string, double>& out) {
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    const std::string path = join_path(prefix, it.key());
    if (it->is_object()) {
      flatten_into(*it, path, out);
    } else if (it->is_number() && std::isfinite(it->get<double>())) {
      out[path] = it->get<double>();
    } else {
      throw std::logic_error("flatten_metrics: metric '" + path + "' is " + describe(*it) +
                             ", not a finite number");
    }
  }
}
}  // namespace

std::map<std::string, double> flatten_metrics(const nlohmann::json& metrics) {
  if (!metrics.is_object()) {
    throw std::logic_error("flatten_metrics: metrics are " + describe(metrics) + ", not an object");
  }
  std::map<std::string, double> out;
  flatten_into(metrics, "", out);
  return out;
}

}  // namespace hwlab

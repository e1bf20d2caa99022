#include "tools/sweep/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "common/result.h"

namespace hwlab::sweep {

namespace {

bool is_integral(double v) { return std::fabs(v) < 1e15 && v == std::floor(v); }

nlohmann::ordered_json metric_json(double v) {
  if (is_integral(v)) return static_cast<int64_t>(v);
  return v;
}

std::string trim_right(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

bool ends_with_component(const std::string& key, const std::string& suffix) {
  return key == suffix ||
         (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          key[key.size() - suffix.size() - 1] == '.');
}

}  // namespace

const std::vector<std::string>& default_metrics() {
  static const std::vector<std::string> names = {"layer_us", "dispatch_us", "combine_us",
                                                 "gemm_us",  "tokens_per_s", "comm_sms"};
  return names;
}

std::vector<std::optional<double>> select_metrics(const nlohmann::json& metrics, const std::vector<std::string>& names) {
  const std::map<std::string, double> flat = flatten_metrics(metrics);
  std::vector<std::optional<double>> out;
  for (const auto& name : names) {
    const auto it = flat.find(name);
    out.push_back(it == flat.end() ? std::nullopt : std::optional<double>(it->second));
  }
  return out;
}

std::string child_error(const std::string& output, int exit_code, int signal) {
  std::string text = trim_right(output);
  for (const char* prefix : {"hwlab: internal error: ", "hwlab: error: "}) {
    const size_t at = text.rfind(prefix);
    if (at != std::string::npos && (at == 0 || text[at - 1] == '\n')) {
      text = text.substr(at + std::strlen(prefix));  // the last error line and what follows it
      break;
    }
  }
  if (signal) {
    const std::string died = fmt::format("killed by signal {} ({})", signal, strsignal(signal));
    return text.empty() ? died : text + " (" + died + ")";
  }
  if (text.empty()) return fmt::format("exited with status {} and printed nothing", exit_code);
  return text;
}

std::string summary_json(const SweepDescription& sweep, const std::vector<PointResult>& points) {
  using Json = nlohmann::ordered_json;
  Json axes = Json::array();
  for (const auto& a : sweep.axes) axes.push_back({{"key", a.key}, {"values", a.values}});
  Json rows = Json::array();
  size_t failed = 0;
  for (const auto& p : points) {
    Json overrides = Json::object();
    for (size_t k = 0; k < sweep.axes.size(); ++k) overrides[sweep.axes[k].key] = p.point.values.at(k);
    Json row = {{"index", p.point.index}, {"file", p.file}, {"overrides", overrides},
                {"status", p.ok ? "ok" : "failed"}};
    if (p.ok) {
      Json metrics = Json::object();
      for (size_t m = 0; m < sweep.metrics.size(); ++m)
        metrics[sweep.metrics[m]] = p.metrics.at(m) ? metric_json(*p.metrics[m]) : Json();
      row["metrics"] = metrics;
    } else {
      ++failed;
      row["exit_code"] = p.exit_code;
      row["error"] = p.error;
    }
    rows.push_back(row);
  }
  Json j = {{"schema", kSweepSchema},
            {"platform", sweep.platform},
            {"workload", sweep.workload},
            {"proposal", sweep.proposal.empty() ? Json() : Json(sweep.proposal)},
            {"set", sweep.base_overrides},
            {"options", {{"layers", sweep.layers}, {"comm_only", sweep.comm_only}}},
            {"axes", axes},
            {"zip", sweep.zip},
            {"metrics", sweep.metrics},
            {"points", rows},
            {"failed", failed}};
  return j.dump(2) + "\n";
}

std::vector<std::string> axis_headers(const std::vector<Axis>& axes, const std::vector<std::string>& metrics) {
  std::vector<std::string> out;
  for (size_t k = 0; k < axes.size(); ++k) {
    const std::string& key = axes[k].key;
    std::string header = key;
    for (size_t dot = key.rfind('.'); dot != std::string::npos; dot = key.rfind('.', dot - 1)) {
      const std::string candidate = key.substr(dot + 1);
      bool clash = candidate == "point" || candidate == "status" ||
                   std::find(metrics.begin(), metrics.end(), candidate) != metrics.end();
      for (size_t other = 0; other < axes.size(); ++other)
        clash = clash || (other != k && ends_with_component(axes[other].key, candidate));
      if (!clash) {
        header = candidate;
        break;
      }
      if (dot == 0) break;
    }
    out.push_back(header);
  }
  return out;
}

std::string format_metric(double value) {
  if (is_integral(value)) return fmt::format("{:.0f}", value);
  const double a = std::fabs(value);
  if (a >= 1e5) return fmt::format("{:.0f}", value);
  if (a >= 1) return fmt::format("{:.1f}", value);
  return fmt::format("{:.4g}", value);
}

std::string summary_table(const SweepDescription& sweep, const std::vector<PointResult>& points) {
  const std::vector<std::string> headers = axis_headers(sweep.axes, sweep.metrics);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"# point"};
  head.insert(head.end(), headers.begin(), headers.end());
  head.push_back("status");
  head.insert(head.end(), sweep.metrics.begin(), sweep.metrics.end());
  rows.push_back(head);
  size_t failed = 0;
  for (const auto& p : points) {
    std::vector<std::string> row = {p.file.substr(6, p.file.size() - 11)};  // "point-007.json" -> "007"
    row.insert(row.end(), p.point.values.begin(), p.point.values.end());
    row.push_back(p.ok ? "ok" : "FAILED");
    failed += p.ok ? 0 : 1;
    for (size_t m = 0; m < sweep.metrics.size(); ++m)
      row.push_back(p.ok && p.metrics.at(m) ? format_metric(*p.metrics[m]) : "-");
    rows.push_back(row);
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());

  std::string configs = "platform " + sweep.platform + ", workload " + sweep.workload;
  if (!sweep.proposal.empty()) configs += ", proposal " + sweep.proposal;
  if (sweep.layers > 0) configs += fmt::format(", {} layers", sweep.layers);
  if (sweep.comm_only) configs += ", comm only";
  std::string out = fmt::format("# hwlab sweep: {}; {} points, {} failed\n", configs, points.size(), failed);
  for (const auto& o : sweep.base_overrides) out += "# --set " + o + "\n";
  for (size_t k = 0; k < sweep.axes.size(); ++k)
    out += "# " + headers[k] + (headers[k] == sweep.axes[k].key ? "" : " = " + sweep.axes[k].key) +
           (sweep.zip ? " (zip)" : "") + "\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += (c ? "  " : "") + fmt::format("{:>{}}", row[c], width[c]);
    out += line + "\n";
  }
  for (const auto& p : points)
    if (!p.ok) out += "# " + p.file + " failed: " + first_line(p.error) + "\n";
  return out;
}

}  // namespace hwlab::sweep

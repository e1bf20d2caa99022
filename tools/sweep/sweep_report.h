// What a sweep reports: summary.json ("hwlab.sweep/1") and the table on stdout, both built from the
// points in index order only (never from timings or completion order), so that the same sweep gives
// the same bytes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/sweep/sweep_spec.h"

namespace hwlab::sweep {

inline constexpr const char* kSweepSchema = "hwlab.sweep/1";

// The metrics a sweep shows unless --metrics says otherwise.
const std::vector<std::string>& default_metrics();

struct SweepDescription {
  std::string platform, workload, proposal;  // as given (preset names or files); proposal "" for none
  std::vector<std::string> base_overrides;   // --set
  std::vector<Axis> axes;
  bool zip = false;
  int layers = 0;
  bool comm_only = false;
  std::vector<std::string> metrics;  // flattened names: layer_us, link_util.nvlink_tx.mean
};

struct PointResult {
  Point point;
  std::string file;   // "point-003.json", relative to the output folder
  bool ok = false;
  int exit_code = 0;  // the child's; -1 when it died of a signal
  std::string error;  // when !ok: the child's message
  std::vector<std::optional<double>> metrics;  // one per SweepDescription::metrics; empty when the result lacks it
};

// The selected metrics of a result's "metrics" object (nested names joined with '.').
std::vector<std::optional<double>> select_metrics(const nlohmann::json& metrics, const std::vector<std::string>& names);

// The message of a failed child from what it printed: "hwlab: error: " and the like removed,
// trailing blank space trimmed; a description of the exit when it printed nothing.
std::string child_error(const std::string& output, int exit_code, int signal);

// summary.json: canonical text (2-space indent, trailing newline).
std::string summary_json(const SweepDescription& sweep, const std::vector<PointResult>& points);

// Column headers for the axes: the shortest dotted suffix of each key that no other axis key ends
// with and that is not a metric name ("workload.deployment.comm_sms" -> "deployment.comm_sms" when
// comm_sms is also a metric).
std::vector<std::string> axis_headers(const std::vector<Axis>& axes, const std::vector<std::string>& metrics);

// A metric for the table: integers as integers, otherwise one decimal (none from 1e5, 4 significant
// digits below 1).
std::string format_metric(double value);

// The readable table: '#' comment lines, one row per point, then one line per failed point.
std::string summary_table(const SweepDescription& sweep, const std::vector<PointResult>& points);

}  // namespace hwlab::sweep

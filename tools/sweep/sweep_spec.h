// What a sweep runs: the --vary axes, their expansion into points, and the check of every point's
// configs before anything starts. Pure (no processes, no files) so that it is unit-tested.
//
//   --vary KEY=V1,V2,...      a list (YAML scalars; commas inside [] or {} do not split)
//   --vary KEY=A:B:STEP       A, A+STEP, ... up to B inclusive (STEP may be negative)
//   --vary KEY=A:B*FACTOR     A, A*FACTOR, ... up to B inclusive (geometric)
//
// Points are the Cartesian product of the axes, the first axis varying slowest (nested loops in the
// order given), or with zip the i-th value of every axis together. Each point is a list of
// `--set KEY=VALUE` overrides applied after the base --set overrides.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "workloads/run_configs.h"

namespace hwlab::sweep {

struct Axis {
  std::string key;                  // config key path: workload.deployment.comm_sms
  std::vector<std::string> values;  // as they will be passed to --set, in sweep order
};

struct Point {
  size_t index = 0;
  std::vector<std::string> values;  // one per axis, in axis order
};

// Refuses sweeps larger than this (most likely a typo in a range).
inline constexpr size_t kMaxPoints = 100000;

// "A:B:STEP" or "A:B*FACTOR" -> the values, formatted exactly (integers stay integers; decimals keep
// the decimals of A and STEP, so 0.1:0.3:0.1 gives 0.1, 0.2, 0.3). Throws UserError
// "<what>: expected ..." naming the problem.
std::vector<std::string> expand_range(const std::string& text, const std::string& what);

// "KEY=..." -> an axis. Throws UserError "--vary ARG: ..." for a missing '=', an empty key or value,
// a malformed range or a value listed twice. The key itself is checked by the config loader.
Axis parse_axis(const std::string& arg);

// The points of the sweep, numbered from 0. Throws UserError for no axis, an axis given twice, an
// axis that is also a base --set key, zip axes of different lengths, or more than kMaxPoints points.
std::vector<Point> expand_points(const std::vector<Axis>& axes, bool zip,
                                 const std::vector<std::string>& base_overrides = {});

// "KEY=VALUE" for every axis of a point: its --set arguments.
std::vector<std::string> point_overrides(const std::vector<Axis>& axes, const Point& point);

// "point-007.json": the index zero-padded to at least 3 digits and to the digits of the last index.
std::string point_file_name(size_t index, size_t total);

// Loads the base configs, then every point's, with the loader that `hwlab emulate` uses. Throws
// UserError "base configs: ..." or "point 003 (KEY=VALUE, ...): <the loader's message>".
void validate_points(const std::vector<workloads::ConfigInput>& inputs, const std::vector<std::string>& base_overrides,
                     const std::vector<Axis>& axes, const std::vector<Point>& points);

}  // namespace hwlab::sweep

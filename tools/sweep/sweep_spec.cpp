#include "tools/sweep/sweep_spec.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::sweep {

namespace {

// Values of one range; more is certainly a typo (1:1000000:1).
constexpr size_t kMaxAxisValues = 10000;

struct Number {
  double value = 0;
  bool integer = false;   // written as an integer: [+-]digits
  bool exponent = false;  // written with e/E
  int decimals = 0;       // digits after the '.'
};

Number parse_number(const std::string& text, const std::string& what, const char* name) {
  const std::string_view digits = "0123456789";
  auto fail = [&] { return UserError(what + ": " + name + ": expected a number, found '" + text + "'"); };
  if (text.empty() || text.find_first_not_of("+-.eE0123456789") != std::string::npos) throw fail();
  errno = 0;
  char* end = nullptr;
  Number n;
  n.value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(n.value)) throw fail();
  const size_t sign = (text[0] == '+' || text[0] == '-') ? 1 : 0;
  n.integer = text.size() > sign && text.find_first_not_of(digits, sign) == std::string::npos;
  n.exponent = text.find_first_of("eE") != std::string::npos;
  if (const size_t dot = text.find('.'); dot != std::string::npos && !n.exponent)
    n.decimals = static_cast<int>(text.size() - dot - 1);
  if (n.integer && std::fabs(n.value) > 1e15) n.integer = false;  // beyond exact int64 arithmetic here
  return n;
}

// Fixed decimals, without a "-0.00" for a value that is zero at that precision.
std::string format_decimal(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string format_general(double v) { return fmt::format("{:.12g}", v); }

void check_count(size_t count, const std::string& what) {
  if (count > kMaxAxisValues)
    throw UserError(fmt::format("{}: expected at most {} values, the range gives {}", what, kMaxAxisValues, count));
}

std::vector<std::string> arithmetic_range(const Number& a, const Number& b, const Number& step,
                                          const std::string& what) {
  if (step.value == 0) throw UserError(what + ": STEP must not be 0");
  if ((b.value - a.value) * step.value < 0)
    throw UserError(what + ": STEP " + format_general(step.value) + " does not lead from " + format_general(a.value) +
                    " to " + format_general(b.value));
  std::vector<std::string> out;
  if (a.integer && b.integer && step.integer) {
    const auto a0 = static_cast<int64_t>(a.value), b0 = static_cast<int64_t>(b.value);
    const auto s = static_cast<int64_t>(step.value);
    const auto count = static_cast<size_t>((b0 - a0) / s) + 1;
    check_count(count, what);
    for (size_t i = 0; i < count; ++i) out.push_back(std::to_string(a0 + static_cast<int64_t>(i) * s));
    return out;
  }
  // A + i*STEP rather than repeated addition, with a little slack so that 0.1:0.3:0.1 reaches 0.3.
  const double steps = (b.value - a.value) / step.value;
  if (steps > static_cast<double>(kMaxAxisValues)) check_count(kMaxAxisValues + 1, what);
  const auto count = static_cast<size_t>(std::floor(steps + 1e-9)) + 1;
  check_count(count, what);
  const bool fixed = !a.exponent && !step.exponent;
  const int decimals = std::max(a.decimals, step.decimals);
  for (size_t i = 0; i < count; ++i) {
    const double v = a.value + static_cast<double>(i) * step.value;
    out.push_back(fixed ? format_decimal(v, decimals) : format_general(v));
  }
  return out;
}

std::vector<std::string> geometric_range(const Number& a, const Number& b, const Number& factor,
                                         const std::string& what) {
  if (a.value <= 0 || b.value <= 0) throw UserError(what + ": a geometric range A:B*FACTOR needs A > 0 and B > 0");
  if (factor.value <= 0 || factor.value == 1) throw UserError(what + ": FACTOR must be > 0 and not 1");
  if ((factor.value > 1) != (b.value >= a.value) && a.value != b.value)
    throw UserError(what + ": FACTOR " + format_general(factor.value) + " does not lead from " +
                    format_general(a.value) + " to " + format_general(b.value));
  std::vector<std::string> out;
  if (a.integer && b.integer && factor.integer) {
    const auto b0 = static_cast<int64_t>(b.value), f = static_cast<int64_t>(factor.value);
    for (auto v = static_cast<int64_t>(a.value); v <= b0; v *= f) {
      out.push_back(std::to_string(v));
      check_count(out.size(), what);
      if (v > std::numeric_limits<int64_t>::max() / f) break;
    }
    return out;
  }
  const bool growing = factor.value > 1;
  for (size_t i = 0;; ++i) {
    const double v = a.value * std::pow(factor.value, static_cast<double>(i));
    if (growing ? v > b.value * (1 + 1e-12) : v < b.value * (1 - 1e-12)) break;
    out.push_back(format_general(v));
    check_count(out.size(), what);
  }
  return out;
}

// Splits at commas outside [], {} and quotes.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items(1);
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.emplace_back();
      continue;
    }
    items.back() += c;
  }
  return items;
}

bool looks_like_range(const std::string& text) {
  if (text.find_first_of(",[]{}\"'") != std::string::npos) return false;
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string first = text.substr(0, colon);
  return first.find_first_not_of("+-.eE0123456789") == std::string::npos &&
         first.find_first_of("0123456789") != std::string::npos;
}

std::string key_of(const std::string& override_arg) { return override_arg.substr(0, override_arg.find('=')); }

}  // namespace

std::vector<std::string> expand_range(const std::string& text, const std::string& what) {
  const size_t colon = text.find(':');
  const size_t second = colon == std::string::npos ? colon : text.find(':', colon + 1);
  const size_t star = colon == std::string::npos ? colon : text.find('*', colon + 1);
  const std::string expected = ": expected A:B:STEP or A:B*FACTOR, found '" + text + "'";
  if (colon == std::string::npos || (second == std::string::npos) == (star == std::string::npos))
    throw UserError(what + expected);
  const size_t split = second != std::string::npos ? second : star;
  const std::string rest = text.substr(split + 1);
  if (rest.find_first_of(":*") != std::string::npos) throw UserError(what + expected);
  const Number a = parse_number(text.substr(0, colon), what, "A");
  const Number b = parse_number(text.substr(colon + 1, split - colon - 1), what, "B");
  if (second != std::string::npos) return arithmetic_range(a, b, parse_number(rest, what, "STEP"), what);
  return geometric_range(a, b, parse_number(rest, what, "FACTOR"), what);
}

Axis parse_axis(const std::string& arg) {
  const std::string what = "--vary " + arg;
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) throw UserError(what + ": expected KEY=V1,V2,... or KEY=A:B:STEP or KEY=A:B*FACTOR");
  Axis axis{arg.substr(0, eq), {}};
  const std::string text = arg.substr(eq + 1);
  if (axis.key.empty()) throw UserError(what + ": expected a config key before '=' (e.g. workload.deployment.comm_sms)");
  if (text.empty()) throw UserError(what + ": expected values after '='");
  axis.values = looks_like_range(text) ? expand_range(text, what) : split_list(text);
  std::set<std::string> seen;
  for (size_t i = 0; i < axis.values.size(); ++i) {
    const std::string& v = axis.values[i];
    if (v.empty()) throw UserError(fmt::format("{}: value {} is empty", what, i + 1));
    if (!seen.insert(v).second) throw UserError(what + ": value '" + v + "' is listed twice");
  }
  return axis;
}

std::vector<Point> expand_points(const std::vector<Axis>& axes, bool zip, const std::vector<std::string>& base_overrides) {
  if (axes.empty()) throw UserError("expected at least one --vary KEY=VALUES");
  std::set<std::string> keys;
  for (const auto& axis : axes) {
    if (!keys.insert(axis.key).second) throw UserError("--vary " + axis.key + ": this key is varied twice");
    for (const auto& o : base_overrides)
      if (key_of(o) == axis.key)
        throw UserError("--vary " + axis.key + ": this key is also fixed by --set " + o + "; give one or the other");
  }
  size_t total = 1;
  if (zip) {
    total = axes[0].values.size();
    for (const auto& axis : axes)
      if (axis.values.size() != total)
        throw UserError(fmt::format("--zip: every axis needs the same number of values; {} has {}, {} has {}",
                                    axes[0].key, total, axis.key, axis.values.size()));
  } else {
    for (const auto& axis : axes) {
      if (total > kMaxPoints / axis.values.size()) total = kMaxPoints + 1;
      else total *= axis.values.size();
    }
  }
  if (total > kMaxPoints)
    throw UserError(fmt::format("the sweep has more than {} points; narrow the --vary ranges", kMaxPoints));
  std::vector<Point> points(total);
  for (size_t i = 0; i < total; ++i) {
    points[i].index = i;
    size_t rest = i;  // mixed-radix digits of i, the last axis fastest
    for (size_t k = axes.size(); k-- > 0;) {
      const size_t n = axes[k].values.size();
      points[i].values.insert(points[i].values.begin(), axes[k].values[zip ? i : rest % n]);
      rest /= n;
    }
  }
  return points;
}

std::vector<std::string> point_overrides(const std::vector<Axis>& axes, const Point& point) {
  std::vector<std::string> out;
  for (size_t k = 0; k < axes.size(); ++k) out.push_back(axes[k].key + "=" + point.values.at(k));
  return out;
}

std::string point_file_name(size_t index, size_t total) {
  const size_t width = std::max<size_t>(3, std::to_string(total > 0 ? total - 1 : 0).size());
  return fmt::format("point-{:0{}}.json", index, width);
}

void validate_points(const std::vector<workloads::ConfigInput>& inputs, const std::vector<std::string>& base_overrides,
                     const std::vector<Axis>& axes, const std::vector<Point>& points) {
  try {
    workloads::load_run_configs(inputs, base_overrides);
  } catch (const UserError& e) {
    throw UserError(std::string("base configs: ") + e.what());
  }
  for (const auto& point : points) {
    const std::vector<std::string> overrides = point_overrides(axes, point);
    std::vector<std::string> all = base_overrides;
    all.insert(all.end(), overrides.begin(), overrides.end());
    try {
      workloads::load_run_configs(inputs, all);
    } catch (const UserError& e) {
      std::string name = point_file_name(point.index, points.size());
      name.resize(name.size() - 5);  // without ".json"
      std::string list;
      for (const auto& o : overrides) list += (list.empty() ? "" : ", ") + o;
      throw UserError(name + " (" + list + "): " + e.what());
    }
  }
}

}  // namespace hwlab::sweep

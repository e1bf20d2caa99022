#include "common/collective_table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab {

namespace {

std::string joined_ops() {
  std::string s;
  for (const std::string& op : collective_ops()) s += (s.empty() ? "" : ", ") + op;
  return s;
}

// A number in at most `width` characters, right-aligned, the way nccl-tests fits large values into
// its columns: two decimals if they fit, then one, then none, then scientific notation.
std::string fit_number(double value, int width) {
  const auto fits = [width](const std::string& s) { return s.size() <= static_cast<size_t>(width); };
  for (int decimals : {2, 1, 0}) {
    std::string s = fmt::format("{:>{}.{}f}", value, width, decimals);
    if (fits(s)) return s;
  }
  return fmt::format("{:>{}.{}e}", value, width, width >= 7 ? 1 : 0);
}

std::string without_trailing_blanks(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// The two header lines share nccl-tests' column widths: '#' plus size take 12 characters.
std::string header_line(const char* size, const char* count, const char* type, const char* redop,
                        const char* root, const char* time, const char* algbw, const char* busbw,
                        const char* wrong) {
  return without_trailing_blanks(
             fmt::format("# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6}  {:>6}", size,
                         count, type, redop, root, time, algbw, busbw, wrong)) +
         "\n";
}

}  // namespace

const std::vector<std::string>& collective_ops() {
  static const std::vector<std::string> ops = {
      "alltoall", "alltoallv", "allreduce", "allgather", "reducescatter",
      "broadcast", "reduce", "sendrecv", "dispatch", "combine"};
  return ops;
}

bool is_collective_op(const std::string& op) {
  const auto& ops = collective_ops();
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

double bus_bandwidth_factor(const std::string& op, int nranks) {
  if (!is_collective_op(op)) {
    throw UserError("unknown collective op '" + op + "'; expected one of " + joined_ops());
  }
  if (nranks < 1) {
    throw UserError(fmt::format("collective '{}' over {} ranks: expected at least 1 rank", op, nranks));
  }
  const double n = nranks;
  // Every rank sends its share over its own links; the busiest link carries 2(n-1)/n of the data
  // for allreduce (reduce-scatter then all-gather) and (n-1)/n for the one-phase patterns.
  if (op == "allreduce") return 2.0 * (n - 1.0) / n;
  if (op == "allgather" || op == "reducescatter" || op == "alltoall" || op == "alltoallv" ||
      op == "dispatch" || op == "combine") {
    return (n - 1.0) / n;
  }
  // broadcast, reduce: all data leaves (or reaches) the root over its one link; sendrecv is
  // point to point.
  return 1.0;
}

CollectiveRow make_collective_row(std::string op, uint64_t bytes, uint64_t count, std::string type,
                                  double time_us, int nranks, uint64_t wrong) {
  const double factor = bus_bandwidth_factor(op, nranks);
  if (!std::isfinite(time_us) || time_us < 0 || (time_us == 0 && bytes != 0)) {
    throw std::logic_error(fmt::format("make_collective_row: {} of {} bytes took {} us", op, bytes,
                                       time_us));
  }
  CollectiveRow row;
  row.redop = (op == "allreduce" || op == "reducescatter" || op == "reduce" || op == "combine")
                  ? "sum"
                  : "none";
  row.root = (op == "broadcast" || op == "reduce") ? 0 : -1;
  row.op = std::move(op);
  row.bytes = bytes;
  row.count = count;
  row.type = std::move(type);
  row.time_us = time_us;
  // bytes / (time_us * 1e-6 s) / 1e9 = bytes / time_us / 1e3 GB/s.
  row.algbw_GBps = bytes == 0 ? 0.0 : static_cast<double>(bytes) / time_us / 1e3;
  row.busbw_GBps = row.algbw_GBps * factor;
  row.wrong = wrong;
  return row;
}

std::string format_collective_table(const std::vector<CollectiveRow>& rows, const std::string& title) {
  std::string out;
  if (!title.empty()) out += "# " + title + "\n";
  out += "#\n";
  out += header_line("size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong");
  out += header_line("(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "");

  int rows_with_errors = 0;  // nccl-tests counts tests with any wrong element, not elements
  double busbw_sum = 0;
  const std::string* previous_op = nullptr;
  for (const CollectiveRow& row : rows) {
    if (previous_op == nullptr || *previous_op != row.op) out += "# op: " + row.op + "\n";
    previous_op = &row.op;
    out += fmt::format("{:>12}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6}  {:>6g}\n", row.bytes,
                       row.count, row.type, row.redop, row.root, fit_number(row.time_us, 7),
                       fit_number(row.algbw_GBps, 6), fit_number(row.busbw_GBps, 6),
                       static_cast<double>(row.wrong));
    if (row.wrong != 0) ++rows_with_errors;
    busbw_sum += row.busbw_GBps;
  }
  const double busbw_avg = rows.empty() ? 0.0 : busbw_sum / static_cast<double>(rows.size());
  out += fmt::format("# {:<20} : {} {}\n", "Out of bounds values", rows_with_errors,
                     rows_with_errors != 0 ? "FAILED" : "OK");
  out += fmt::format("# {:<20} : {:g}\n", "Avg bus bandwidth", busbw_avg);
  out += "#\n";
  return out;
}

}  // namespace hwlab

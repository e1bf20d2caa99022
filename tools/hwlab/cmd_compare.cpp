// `hwlab compare A.json B.json [C.json ...]`: the metrics of result files side by side, each file
// after the first with its relative error against the first ((X - A) / |A|). Works anywhere: it only
// reads files (common/result.h validates them). Keys are flatten_metrics() names; a key missing
// from a file shows "-" and is listed at the end. Collective rows pair up by (op, bytes, type). A
// folded measurement (several logical ranks per GPU) gets a note saying so.
// Exit 0 whatever the differences (2 for an unreadable or invalid file).
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/result.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {

namespace {

std::string label_of(const Result& r, const std::string& path) {
  std::string label = path + " (" + r.source;
  if (r.device) label += ", " + r.device->name + (r.device->count > 1 ? fmt::format(" x{}", r.device->count) : "");
  return label + ")";
}

std::string number(double v) {
  if (v != 0 && (std::fabs(v) >= 1e7 || std::fabs(v) < 1e-3)) return fmt::format("{:.4e}", v);
  return fmt::format("{:.4f}", v);
}

std::string relative(double base, double v) {
  if (base == 0) return v == 0 ? "0.00%" : "n/a";
  return fmt::format("{:+.2f}%", 100.0 * (v - base) / std::fabs(base));
}

void print_rows(const std::vector<std::string>& names, const std::vector<std::map<std::string, double>>& values,
                const std::string& title, std::vector<std::string>& one_sided) {
  size_t width = title.size();
  for (const auto& n : names) width = std::max(width, n.size());
  std::string header = fmt::format("{:<{}}", title, width);
  for (size_t f = 0; f < values.size(); ++f)
    header += f == 0 ? fmt::format("  {:>14}", "[1]") : fmt::format("  {:>14}  {:>9}", fmt::format("[{}]", f + 1), "vs [1]");
  std::printf("%s\n", header.c_str());
  for (const auto& n : names) {
    std::string line = fmt::format("{:<{}}", n, width);
    const auto base = values[0].find(n);
    bool everywhere = true;
    for (size_t f = 0; f < values.size(); ++f) {
      const auto it = values[f].find(n);
      if (it == values[f].end()) everywhere = false;
      const std::string v = it == values[f].end() ? "-" : number(it->second);
      if (f == 0) {
        line += fmt::format("  {:>14}", v);
        continue;
      }
      const std::string rel =
          (it == values[f].end() || base == values[0].end()) ? "-" : relative(base->second, it->second);
      line += fmt::format("  {:>14}  {:>9}", v, rel);
    }
    if (!everywhere) one_sided.push_back(n);
    std::printf("%s\n", line.c_str());
  }
}

void compare(const std::vector<std::string>& paths) {
  std::vector<Result> results;
  for (const auto& p : paths) results.push_back(read_result(p));
  for (size_t f = 0; f < results.size(); ++f) std::printf("[%zu] %s\n", f + 1, label_of(results[f], paths[f]).c_str());
  for (size_t f = 1; f < results.size(); ++f)
    if (results[f].workload.value("name", std::string()) != results[0].workload.value("name", std::string()))
      std::printf("note: [%zu] is workload '%s', [1] is '%s'\n", f + 1,
                  results[f].workload.value("name", std::string("?")).c_str(),
                  results[0].workload.value("name", std::string("?")).c_str());
  std::vector<std::map<std::string, double>> metrics;
  std::set<std::string> names;
  for (const auto& r : results) {
    metrics.push_back(flatten_metrics(r.metrics));
    for (const auto& [k, v] : metrics.back()) names.insert(k);
  }
  // A measurement that ran several logical ranks per GPU (runtime/README.md, "Folding") times all
  // of their work on that GPU: its phase times are not one deployment GPU's.
  for (size_t f = 0; f < metrics.size(); ++f) {
    const auto per_gpu = metrics[f].find("fold.ranks_per_gpu_max");
    if (per_gpu == metrics[f].end() || per_gpu->second <= 1) continue;
    const auto value = [&](const char* key) {
      const auto it = metrics[f].find(key);
      return it == metrics[f].end() ? 0.0 : it->second;
    };
    std::printf("note: [%zu] is folded: %.0f logical ranks on %.0f GPU(s), up to %.0f per GPU; its times cover the "
                "work of all ranks on a GPU, not of one deployment GPU\n",
                f + 1, value("fold.logical_ranks"), value("fold.physical_gpus"), per_gpu->second);
  }
  std::printf("\n");
  std::vector<std::string> one_sided;
  if (!names.empty()) print_rows({names.begin(), names.end()}, metrics, "metric", one_sided);

  // Collectives: one pseudo-metric per (op, bytes, type) and column.
  std::vector<std::map<std::string, double>> coll(results.size());
  std::set<std::tuple<std::string, uint64_t, std::string>> keys;
  for (size_t f = 0; f < results.size(); ++f)
    for (const CollectiveRow& row : results[f].collectives) {
      keys.insert({row.op, row.bytes, row.type});
      const std::string k = fmt::format("{} {} B {}", row.op, row.bytes, row.type);
      coll[f][k + " time_us"] = row.time_us;
      coll[f][k + " busbw_GBps"] = row.busbw_GBps;
      coll[f][k + " wrong"] = static_cast<double>(row.wrong);
    }
  if (!keys.empty()) {
    std::vector<std::string> rows;
    for (const auto& [op, bytes, type] : keys)
      for (const char* col : {" time_us", " busbw_GBps", " wrong"})
        rows.push_back(fmt::format("{} {} B {}", op, bytes, type) + col);
    std::printf("\n");
    print_rows(rows, coll, "collective", one_sided);
  }
  if (names.empty() && keys.empty()) std::printf("(no metrics and no collectives in these files)\n");
  if (!one_sided.empty()) {
    std::printf("\nmissing from some files (%zu):\n", one_sided.size());
    for (const auto& n : one_sided) std::printf("  %s\n", n.c_str());
  }
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("compare", "Compare result files (hwlab.result/1) metric by metric with relative error");
  cmd->add_option("files", *files, "two or more result files; the first is the reference")->required();
  cmd->callback([files] {
    if (files->size() < 2)
      throw UserError(fmt::format("compare: expected at least two result files, found {}", files->size()));
    compare(*files);
  });
}

}  // namespace hwlab::cli

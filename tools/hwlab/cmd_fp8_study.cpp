// `hwlab fp8 study`: accumulation error versus K for each preset and promotion strategy, on
// N(0,1), U(0,1) and activation-like inputs, against the exact sum (isa/numerics/study.h).
//
//   hwlab fp8 study [--k 256,...,16384] [--m 16] [--n 16] [--presets P,...] [--promotion 0,32,...]
//                   [--inputs normal,uniform01,activation] [--format e4m3|e5m2] [--seed S]
//                   [--metric normwise|median|max] [--json FILE]
//
// Prints one table per input distribution (rows: preset and strategy, columns: K) and, with
// --json, writes every metric of every cell as an hwlab.result/1 file (source: emulated).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/result.h"
#include "common/version.h"
#include "isa/numerics/study.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {
namespace {

namespace nx = hwlab::numerics;

struct StudyArgs {
  std::vector<int> ks{256, 512, 1024, 2048, 4096, 8192, 16384};
  std::vector<std::string> presets{"h100-fp8", "ada-fp8", "h100-fp16", "acc-16", "acc-20", "acc-23", "fp32-acc"};
  std::vector<int> promotions{0, 32, 64, 128, 256, 512};
  std::vector<std::string> inputs{"normal", "uniform01", "activation"};
  std::string format = "e4m3", metric = "normwise", json;
  int m = 16, n = 16;
  uint64_t seed = 1;
};

nx::probe::Style style_of(const std::string& name) {
  for (uint32_t s = 0; s < static_cast<uint32_t>(nx::probe::Style::count_); ++s) {
    if (name == nx::probe::style_name(static_cast<nx::probe::Style>(s))) return static_cast<nx::probe::Style>(s);
  }
  throw UserError("--inputs: unknown input '" + name + "'; valid: normal, uniform01, activation, codes");
}

void run_study_command(const StudyArgs& args) {
  nx::StudyConfig c;
  c.m = args.m;
  c.n = args.n;
  c.ks = args.ks;
  c.presets = args.presets;
  c.promotions = args.promotions;
  c.inputs.clear();
  for (const std::string& s : args.inputs) c.inputs.push_back(style_of(s));
  c.format = *nx::parse_format(args.format);
  c.seed = args.seed;
  const std::vector<nx::StudyCell> cells = nx::run_study(c);

  auto metric_of = [&](const nx::StudyCell& cell) {
    if (args.metric == "median") return cell.median_elem_rel_err;
    if (args.metric == "max") return cell.max_elem_rel_err;
    return cell.normwise_rel_err;
  };
  const char* metric_title = args.metric == "median" ? "median element relative error"
                             : args.metric == "max"  ? "max element relative error"
                                                     : "normwise relative error ||D-R||_F/||R||_F";
  std::printf("# hwlab fp8 study: %s, %s inputs, M=%d N=%d, seed %llu; R = exact sum\n", metric_title,
              args.format.c_str(), c.m, c.n, static_cast<unsigned long long>(c.seed));
  for (nx::probe::Style style : c.inputs) {
    std::printf("\n# input: %s\n%-12s %-8s", nx::probe::style_name(style), "preset", "promote");
    for (int k : c.ks) std::printf(" %10s", ("K=" + std::to_string(k)).c_str());
    std::printf("\n");
    for (const std::string& p : c.presets) {
      for (int nc : c.promotions) {
        std::printf("%-12s %-8s", p.c_str(), nx::strategy_name(nc).c_str());
        for (int k : c.ks) {
          for (const nx::StudyCell& cell : cells) {
            if (cell.preset == p && cell.promotion == nc && cell.input == style && cell.k == k) {
              std::printf(" %10.3e", metric_of(cell));
            }
          }
        }
        std::printf("\n");
      }
    }
  }
  if (!args.json.empty()) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const nx::StudyCell& cell : cells) {
      metrics[cell.preset][nx::strategy_name(cell.promotion)][nx::probe::style_name(cell.input)]
             ["k" + std::to_string(cell.k)] = {{"normwise_rel_err", cell.normwise_rel_err},
                                               {"median_elem_rel_err", cell.median_elem_rel_err},
                                               {"max_elem_rel_err", cell.max_elem_rel_err}};
    }
    Result r;
    r.source = "emulated";
    r.tool_version = version();
    r.git_commit = git_commit();
    r.platform = nlohmann::json::object();
    r.workload = {{"kind", "fp8-accumulation-study"}, {"m", c.m}, {"n", c.n}, {"k", c.ks},
                  {"format", args.format}, {"inputs", args.inputs}, {"seed", c.seed}};
    r.proposal = {{"presets", c.presets}, {"promotion_intervals", c.promotions}};
    r.metrics = metrics;
    write_result(args.json, r);
  }
}

}  // namespace

void add_fp8_study_command(CLI::App& fp8) {
  auto args = std::make_shared<StudyArgs>();
  auto* cmd = fp8.add_subcommand("study", "Accumulation error vs K for every preset and promotion strategy");
  cmd->add_option("--k", args->ks, "reduction lengths, comma-separated")->delimiter(',');
  cmd->add_option("--m", args->m, "rows of A (outputs per K: m*n)");
  cmd->add_option("--n", args->n, "rows of B");
  cmd->add_option("--presets", args->presets, "presets (with modifiers), ';'-separated")->delimiter(';');
  cmd->add_option("--promotion", args->promotions, "promotion intervals, comma-separated (0: none)")->delimiter(',');
  cmd->add_option("--inputs", args->inputs, "input distributions: normal, uniform01, activation, codes")->delimiter(',');
  cmd->add_option("--format", args->format, "operand format")->check(CLI::IsMember({"e4m3", "e5m2"}));
  cmd->add_option("--seed", args->seed, "input generator seed");
  cmd->add_option("--metric", args->metric, "metric shown in the tables")
      ->check(CLI::IsMember({"normwise", "median", "max"}));
  cmd->add_option("--json", args->json, "write every metric as an hwlab.result/1 file");
  cmd->callback([args] { run_study_command(*args); });
}

}  // namespace hwlab::cli

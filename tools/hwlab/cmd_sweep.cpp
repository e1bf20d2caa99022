// `hwlab sweep --platform P --workload W [--proposal X] [--set k=v]... --vary KEY=VALUES... [--zip]
//  --out-dir DIR [--jobs N] [--layers N] [--comm-only] [--metrics a,b,...]`: many `hwlab emulate`
// runs over config keys, in parallel. Every point's configs are checked before anything runs (a bad
// value exits 2 and writes nothing); each point is a fresh exec of this binary (SystemC runs once per
// process), writing DIR/point-NNN.json; then DIR/summary.json and a table on stdout. Exit 1 when a
// point failed (the others still run). Ctrl-C stops the children and leaves no partial file.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/config/suggest.h"
#include "common/error.h"
#include "common/result.h"
#include "tools/hwlab/commands.h"
#include "tools/sweep/sweep_report.h"
#include "tools/sweep/sweep_runner.h"
#include "tools/sweep/sweep_spec.h"

namespace hwlab::cli {

namespace {

namespace fs = std::filesystem;

struct SweepOptions {
  std::string platform, workload, proposal, out_dir;
  std::vector<std::string> overrides, vary, metrics;
  bool zip = false, comm_only = false;
  int layers = 0;
  size_t jobs = 0;  // 0: one per core
};

std::string in_dir(const std::string& dir, const std::string& file) { return (fs::path(dir) / file).string(); }

// The folder is created if missing; what an earlier sweep left there (its summary and point files,
// complete or not) goes, so that nothing stale can pass for this sweep's result.
void prepare_out_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw UserError("--out-dir " + dir + ": cannot create the folder: " + ec.message());
  if (::access(dir.c_str(), W_OK) != 0) throw UserError("--out-dir " + dir + ": the folder is not writable");
  static const std::regex ours(R"(summary\.json(\.tmp\..*)?|point-[0-9]+\.json(\.tmp\..*)?)");
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), ours)) fs::remove(entry.path(), ec);
}

// Temporary files of children that were stopped while writing (write_file_atomically's ".tmp.XXXXXX").
void remove_partial_files(const std::string& dir, const std::vector<std::string>& files) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    for (const auto& file : files)
      if (entry.path().filename().string().rfind(file + ".tmp.", 0) == 0) fs::remove(entry.path(), ec);
}

// Warns about selected metrics that no successful point reported (a typo, or a metric of another mode).
void warn_missing_metrics(const sweep::SweepDescription& s, const std::vector<sweep::PointResult>& results,
                          const std::set<std::string>& seen) {
  bool any_ok = false;
  for (const auto& r : results) any_ok = any_ok || r.ok;
  if (!any_ok) return;
  const std::vector<std::string> names(seen.begin(), seen.end());
  for (size_t m = 0; m < s.metrics.size(); ++m) {
    bool found = false;
    for (const auto& r : results) found = found || (r.ok && r.metrics.at(m));
    if (!found)
      std::fprintf(stderr, "hwlab sweep: warning: no point reported metric '%s'%s\n", s.metrics[m].c_str(),
                   config::did_you_mean(s.metrics[m], names).c_str());
  }
}

void sweep_command(const SweepOptions& o, const std::string& argv0) {
  // 1. Everything a user can get wrong is found here, before any file is written.
  sweep::SweepDescription s{o.platform, o.workload, o.proposal, o.overrides, {}, o.zip, o.layers, o.comm_only,
                            o.metrics.empty() ? sweep::default_metrics() : o.metrics};
  for (const auto& m : s.metrics)
    if (m.empty()) throw UserError("--metrics: expected metric names separated by commas, found an empty one");
  for (const auto& v : o.vary) s.axes.push_back(sweep::parse_axis(v));
  const std::vector<sweep::Point> points = sweep::expand_points(s.axes, o.zip, o.overrides);
  std::vector<workloads::ConfigInput> inputs = {{config::ConfigKind::platform, o.platform},
                                                {config::ConfigKind::workload, o.workload}};
  if (!o.proposal.empty()) inputs.push_back({config::ConfigKind::proposal, o.proposal});
  sweep::validate_points(inputs, o.overrides, s.axes, points);
  prepare_out_dir(o.out_dir);

  // 2. One `hwlab emulate` per point.
  std::vector<sweep::Job> jobs;
  std::vector<sweep::PointResult> results(points.size());
  for (const auto& p : points) {
    sweep::PointResult& r = results[p.index];
    r.point = p;
    r.file = sweep::point_file_name(p.index, points.size());
    std::vector<std::string> argv = {argv0, "emulate", "--platform", o.platform, "--workload", o.workload};
    if (!o.proposal.empty()) argv.insert(argv.end(), {"--proposal", o.proposal});
    std::string label;
    for (const auto& set : o.overrides) argv.insert(argv.end(), {"--set", set});
    for (const auto& set : sweep::point_overrides(s.axes, p)) {
      argv.insert(argv.end(), {"--set", set});
      label += (label.empty() ? "" : ", ") + set;
    }
    if (o.layers > 0) argv.insert(argv.end(), {"--layers", std::to_string(o.layers)});
    if (o.comm_only) argv.push_back("--comm-only");
    argv.insert(argv.end(), {"--quiet", "--out", in_dir(o.out_dir, r.file)});
    jobs.push_back({argv, r.file.substr(0, r.file.size() - 5) + " (" + label + ")"});
  }
  std::set<std::string> metric_names;  // every metric any point reported, for did-you-mean
  auto judge = [&](size_t index, const sweep::JobOutcome& outcome) {
    sweep::PointResult& r = results[index];
    r.exit_code = outcome.exit_code;
    if (outcome.exit_code != 0) {
      r.error = sweep::child_error(outcome.output, outcome.exit_code, outcome.signal);
      return false;
    }
    try {
      const Result result = read_result(in_dir(o.out_dir, r.file));
      r.metrics = sweep::select_metrics(result.metrics, s.metrics);
      for (const auto& [name, value] : flatten_metrics(result.metrics)) metric_names.insert(name);
      r.ok = true;
    } catch (const std::exception& e) {
      r.exit_code = 1;
      r.error = std::string("the point exited 0 but its result is unreadable: ") + e.what();
    }
    return r.ok;
  };

  int stop_signal = 0;
  size_t done = 0;
  {
    sweep::StopSignals signals;
    const size_t parallel = o.jobs > 0 ? o.jobs : sweep::available_cores();
    const sweep::RunReport report = sweep::run_jobs("/proc/self/exe", jobs, parallel, judge);
    if (report.stop_signal) {
      std::vector<std::string> stopped;
      for (size_t i : report.stopped) stopped.push_back(results[i].file);
      remove_partial_files(o.out_dir, stopped);
      for (const auto& r : results) done += r.ok || !r.error.empty() ? 1 : 0;
    } else {
      // 3. The summary, last: it exists only for a sweep that ran to the end. A signal now waits for it.
      write_file_atomically(in_dir(o.out_dir, "summary.json"), sweep::summary_json(s, results));
    }
    stop_signal = report.stop_signal;
  }
  if (stop_signal) {
    std::fprintf(stderr, "hwlab sweep: stopped by signal %d (%s) after %zu of %zu points; no summary written\n",
                 stop_signal, strsignal(stop_signal), done, points.size());
    std::fflush(nullptr);
    std::signal(stop_signal, SIG_DFL);
    std::raise(stop_signal);
    std::exit(128 + stop_signal);
  }
  warn_missing_metrics(s, results, metric_names);
  std::fputs(sweep::summary_table(s, results).c_str(), stdout);
  for (const auto& r : results) {
    if (!r.ok) {
      std::fflush(nullptr);
      std::exit(kExitInternalError);  // a point failed; its message is in the table and the summary
    }
  }
}

}  // namespace

void add_sweep_command(CLI::App& app, int /*argc*/, char** argv) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Run `hwlab emulate` over values of config keys, in parallel; "
                                          "one result per point, a summary and a table");
  cmd->add_option("--platform", o->platform, "platform preset or YAML file")->required();
  cmd->add_option("--workload", o->workload, "workload preset or YAML file")->required();
  cmd->add_option("--proposal", o->proposal, "proposal preset or YAML file (none: the platform as it is)");
  cmd->add_option("--set", o->overrides, "fix a key for every point: platform.nic.achievable_GBps=25 (repeatable)");
  cmd->add_option("--vary", o->vary,
                  "an axis: KEY=V1,V2,... | KEY=A:B:STEP | KEY=A:B*FACTOR (B included; repeatable: the "
                  "Cartesian product, first axis slowest)")
      ->required();
  cmd->add_flag("--zip", o->zip, "pair the i-th values of every axis instead of the product (equal lengths)");
  cmd->add_option("--out-dir", o->out_dir,
                  "folder for point-NNN.json and summary.json (created; an earlier sweep's files there are replaced)")
      ->required();
  cmd->add_option("--jobs,-j", o->jobs, "points run at once (default: the number of cores)")
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd->add_option("--layers", o->layers, "MoE layers to run per point (0: all)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_flag("--comm-only", o->comm_only, "one dispatch and one combine per point, no compute");
  cmd->add_option("--metrics", o->metrics,
                  "metrics to tabulate, comma-separated, nested ones with '.' (default: layer_us,dispatch_us,"
                  "combine_us,gemm_us,tokens_per_s,comm_sms)")
      ->delimiter(',');
  const std::string argv0 = argv[0];
  cmd->callback([o, argv0] { sweep_command(*o, argv0); });
}

}  // namespace hwlab::cli

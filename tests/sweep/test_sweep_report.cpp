// `hwlab sweep` output: summary.json, the table, child error messages, and the process pool (run on
// /bin/sh children: exit statuses and captured output, never timings).
#include <catch2/catch.hpp>

#include <csignal>

#include "tools/sweep/sweep_report.h"
#include "tools/sweep/sweep_runner.h"

using namespace hwlab::sweep;
using Strings = std::vector<std::string>;

namespace {

SweepDescription two_point_sweep() {
  SweepDescription s;
  s.platform = "h800";
  s.workload = "dsv3-prefill";
  s.base_overrides = {"workload.deployment.tokens_per_gpu=64"};
  s.axes = {{"workload.deployment.comm_sms", {"8", "16"}}};
  s.comm_only = true;
  s.metrics = {"dispatch_us", "comm_sms"};
  return s;
}

std::vector<PointResult> two_points() {
  std::vector<PointResult> r(2);
  r[0].point = {0, {"8"}};
  r[0].file = "point-000.json";
  r[0].ok = true;
  r[0].metrics = {12.345, 8.0};
  r[1].point = {1, {"16"}};
  r[1].file = "point-001.json";
  r[1].exit_code = 2;
  r[1].error = "--set x: bad\nsecond line";
  return r;
}

}  // namespace

TEST_CASE("select_metrics reads nested names and leaves missing ones empty", "[sweep]") {
  const nlohmann::json m = {{"layer_us", 10.5}, {"link_util", {{"nvlink_tx", {{"mean", 0.25}}}}}};
  const auto v = select_metrics(m, {"layer_us", "link_util.nvlink_tx.mean", "nope"});
  REQUIRE(v.size() == 3);
  CHECK(*v[0] == 10.5);
  CHECK(*v[1] == 0.25);
  CHECK(!v[2]);
}

TEST_CASE("summary.json lists points in index order with overrides, status and metrics", "[sweep]") {
  const auto j = nlohmann::json::parse(summary_json(two_point_sweep(), two_points()));
  CHECK(j["schema"] == "hwlab.sweep/1");
  CHECK(j["proposal"].is_null());
  CHECK(j["failed"] == 1);
  CHECK(j["axes"][0]["values"] == Strings{"8", "16"});
  const auto& p = j["points"];
  REQUIRE(p.size() == 2);
  CHECK(p[0]["overrides"]["workload.deployment.comm_sms"] == "8");
  CHECK(p[0]["status"] == "ok");
  CHECK(p[0]["metrics"]["dispatch_us"] == 12.345);
  CHECK(p[0]["metrics"]["comm_sms"].is_number_integer());
  CHECK(p[1]["status"] == "failed");
  CHECK(p[1]["exit_code"] == 2);
  CHECK(p[1]["error"] == "--set x: bad\nsecond line");
  CHECK(!p[1].contains("metrics"));
  // Same input, same bytes.
  CHECK(summary_json(two_point_sweep(), two_points()) == summary_json(two_point_sweep(), two_points()));
}

TEST_CASE("axis headers are the shortest unambiguous suffix of the key", "[sweep]") {
  CHECK(axis_headers({{"workload.deployment.comm_sms", {}}}, {"layer_us", "comm_sms"}) ==
        Strings{"deployment.comm_sms"});
  CHECK(axis_headers({{"workload.deployment.tokens_per_gpu", {}}}, {"comm_sms"}) == Strings{"tokens_per_gpu"});
  CHECK(axis_headers({{"platform.nic.achievable_GBps", {}}, {"platform.nvlink.achievable_GBps", {}}}, {}) ==
        Strings{"nic.achievable_GBps", "nvlink.achievable_GBps"});
  CHECK(axis_headers({{"a.b", {}}, {"b", {}}}, {}) == Strings{"a.b", "b"});
}

TEST_CASE("metrics are printed with sensible precision", "[sweep]") {
  CHECK(format_metric(20) == "20");
  CHECK(format_metric(123.456) == "123.5");
  CHECK(format_metric(1234567.8) == "1234568");
  CHECK(format_metric(0.123456) == "0.1235");
}

TEST_CASE("the table has one row per point and names the failures", "[sweep]") {
  const std::string table = summary_table(two_point_sweep(), two_points());
  CHECK(table ==
        "# hwlab sweep: platform h800, workload dsv3-prefill, comm only; 2 points, 1 failed\n"
        "# --set workload.deployment.tokens_per_gpu=64\n"
        "# deployment.comm_sms = workload.deployment.comm_sms\n"
        "# point  deployment.comm_sms  status  dispatch_us  comm_sms\n"
        "    000                    8      ok         12.3         8\n"
        "    001                   16  FAILED            -         -\n"
        "# point-001.json failed: --set x: bad\n");
}

TEST_CASE("child_error keeps hwlab's message, or describes the exit", "[sweep]") {
  CHECK(child_error("SystemC warning\nhwlab: error: bad value\n", 2, 0) == "bad value");
  CHECK(child_error("hwlab: internal error: oops\n", 1, 0) == "oops");
  CHECK(child_error("", 3, 0) == "exited with status 3 and printed nothing");
  CHECK_THAT(child_error("", -1, SIGKILL), Catch::StartsWith("killed by signal 9"));
}

TEST_CASE("run_jobs runs every job, captures its output and exit status", "[sweep]") {
  std::vector<Job> jobs;
  for (int i = 0; i < 5; ++i)
    jobs.push_back({{"sh", "-c", "echo out" + std::to_string(i) + "; echo err >&2; exit " + std::to_string(i % 3)},
                    "job " + std::to_string(i)});
  std::vector<JobOutcome> outcomes(jobs.size());
  std::vector<int> judged(jobs.size(), 0);
  StopSignals signals;
  const RunReport report = run_jobs("/bin/sh", jobs, 2, [&](size_t i, const JobOutcome& o) {
    outcomes[i] = o;
    ++judged[i];
    return o.exit_code == 0;
  });
  CHECK(report.stop_signal == 0);
  CHECK(report.stopped.empty());
  for (size_t i = 0; i < jobs.size(); ++i) {
    CHECK(judged[i] == 1);
    CHECK(outcomes[i].exit_code == static_cast<int>(i % 3));
    CHECK(outcomes[i].output == "out" + std::to_string(i) + "\nerr\n");
  }
  CHECK(signals.stop_signal() == 0);
}

TEST_CASE("progress text counts points and estimates what is left", "[sweep]") {
  CHECK(progress_text(0, 4, 0, 0, 4) == "[    ] 0/4 points, 0:00 elapsed");
  CHECK(progress_text(2, 4, 1, 30, 4) == "[##  ] 2/4 points, 1 failed, 0:30 elapsed, ~0:30 left");
  CHECK(progress_text(4, 4, 0, 3725, 0) == "4/4 points, 1:02:05 elapsed");
  CHECK(format_duration(59.6) == "1:00");
}

TEST_CASE("a stop signal ends the run and reaps the running children", "[sweep]") {
  // The first job sends SIGINT to the runner itself; the second would sleep long; the third never starts.
  const std::vector<Job> jobs = {{{"sh", "-c", "kill -INT $PPID; sleep 30"}, "a"},
                                 {{"sh", "-c", "sleep 30"}, "b"},
                                 {{"sh", "-c", "exit 0"}, "c"}};
  size_t judged = 0;
  StopSignals signals;
  const RunReport report = run_jobs("/bin/sh", jobs, 2, [&](size_t, const JobOutcome&) { return ++judged > 0; });
  CHECK(report.stop_signal == SIGINT);
  CHECK(report.stopped == std::vector<size_t>{0, 1});
  CHECK(judged == 0);
  CHECK(signals.stop_signal() == SIGINT);
}

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/collective_table.h"
#include "common/error.h"
#include "common/result.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

hwlab::Result measured_result() {
  hwlab::Result r;
  r.source = "measured";
  r.tool_version = "0.1.0";
  r.git_commit = "abc1234";
  r.platform = {{"name", "h800"}, {"gpus_per_node", 8}, {"nvlink_GBps", 160.0}};
  r.workload = {{"name", "v3-prefill"}, {"tokens", 4096}, {"top_k", 8}};
  r.device = hwlab::DeviceInfo{"NVIDIA H200", 2, "580.65", {{"nccl", "2.28.3"}}};
  r.metrics = {{"layer_us", 812.5}, {"comm_sms", 20}, {"link_util", {{"nvlink", 0.7}, {"ib", 0.25}}}};
  r.collectives = {hwlab::make_collective_row("alltoall", 1000000, 250000, "float", 10.0, 8),
                   hwlab::make_collective_row("allreduce", 4096, 1024, "float", 7.25, 8, 2)};
  r.run = {{"command", "hwlab measure --workload v3-prefill"}, {"host", "gpu01"}};
  return r;
}

// The message of the UserError that parse_result throws for `text`.
std::string parse_error_of(const std::string& text) {
  try {
    hwlab::parse_result(text, "r.json");
  } catch (const hwlab::UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// The message for the valid measured result's document after `edit`.
template <typename Edit>
std::string error_after(Edit edit) {
  json doc = json::parse(hwlab::to_json_text(measured_result()));
  edit(doc);
  return parse_error_of(doc.dump(2));
}

}  // namespace

TEST_CASE("result text has the documented layout", "[result]") {
  hwlab::Result r;
  r.source = "emulated";
  r.tool_version = "0.1.0";
  r.git_commit = "abc1234";
  r.platform = {{"name", "h800"}};
  r.workload = {{"name", "v3-decode"}};
  r.metrics = {{"layer_us", 812.5}, {"comm_sms", 20}};
  r.collectives = {hwlab::make_collective_row("alltoall", 1000000, 250000, "float", 10.0, 8)};
  r.run = {{"host", "sim01"}};
  CHECK(hwlab::to_json_text(r) == R"({
  "schema": "hwlab.result/1",
  "source": "emulated",
  "tool": {
    "commit": "abc1234",
    "version": "0.1.0"
  },
  "platform": {
    "name": "h800"
  },
  "workload": {
    "name": "v3-decode"
  },
  "proposal": null,
  "device": null,
  "metrics": {
    "comm_sms": 20,
    "layer_us": 812.5
  },
  "collectives": [
    {
      "algbw_GBps": 100.0,
      "busbw_GBps": 87.5,
      "bytes": 1000000,
      "count": 250000,
      "op": "alltoall",
      "redop": "none",
      "root": -1,
      "time_us": 10.0,
      "type": "float",
      "wrong": 0
    }
  ],
  "run": {
    "host": "sim01"
  }
}
)");
}

TEST_CASE("result round trip write parse write is byte-identical", "[result]") {
  const std::string text = hwlab::to_json_text(measured_result());
  hwlab::Result back = hwlab::parse_result(text, "r.json");
  CHECK(hwlab::to_json_text(back) == text);

  CHECK(back.source == "measured");
  CHECK(back.git_commit == "abc1234");
  REQUIRE(back.device.has_value());
  CHECK(back.device->name == "NVIDIA H200");
  CHECK(back.device->count == 2);
  CHECK(back.device->extra == json{{"nccl", "2.28.3"}});
  CHECK(back.proposal.is_null());
  REQUIRE(back.collectives.size() == 2);
  CHECK(back.collectives[1].op == "allreduce");
  CHECK(back.collectives[1].redop == "sum");
  CHECK(back.collectives[1].wrong == 2);
  CHECK(back.collectives[1].time_us == 7.25);

  // Through a file as well.
  fs::path dir = fs::temp_directory_path() / "hwlab_test_result";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "result.json").string();
  hwlab::write_result(path, measured_result());
  CHECK(hwlab::read_file(path) == text);
  CHECK(hwlab::to_json_text(hwlab::read_result(path)) == text);
  fs::remove_all(dir);
}

TEST_CASE("result text does not depend on the order metrics were inserted in", "[result]") {
  hwlab::Result a = measured_result();
  hwlab::Result b = measured_result();
  a.metrics = json::object();
  a.metrics["layer_us"] = 812.5;
  a.metrics["link_util"]["nvlink"] = 0.7;
  a.metrics["link_util"]["ib"] = 0.25;
  a.metrics["comm_sms"] = 20;
  b.metrics = json::object();
  b.metrics["comm_sms"] = 20;
  b.metrics["link_util"]["ib"] = 0.25;
  b.metrics["link_util"]["nvlink"] = 0.7;
  b.metrics["layer_us"] = 812.5;
  b.platform = json::object();
  b.platform["nvlink_GBps"] = 160.0;
  b.platform["gpus_per_node"] = 8;
  b.platform["name"] = "h800";
  CHECK(hwlab::to_json_text(a) == hwlab::to_json_text(b));
}

TEST_CASE("result compared_content ignores the run block", "[result]") {
  hwlab::Result a = measured_result();
  hwlab::Result b = measured_result();
  b.run = {{"command", "hwlab measure --seed 7"}, {"host", "gpu02"}, {"start", "2026-11-24T10:00:00Z"}};
  CHECK(hwlab::to_json_text(a) != hwlab::to_json_text(b));
  CHECK(hwlab::compared_content(a) == hwlab::compared_content(b));
  CHECK(hwlab::compared_content(a).find("\"run\"") == std::string::npos);
  CHECK(hwlab::compared_content(a).find("\"collectives\"") != std::string::npos);

  b.metrics["layer_us"] = 812.75;  // content proper does count
  CHECK(hwlab::compared_content(a) != hwlab::compared_content(b));
}

TEST_CASE("result validation names the field that is wrong", "[result]") {
  CHECK(error_after([](json& d) { d["schema"] = "hwlab.result/2"; }) ==
        "r.json: field 'schema': this file is \"hwlab.result/2\", which this hwlab cannot read; "
        "it reads \"hwlab.result/1\"");
  CHECK(error_after([](json& d) { d["schema"] = "other/1"; }) ==
        "r.json: field 'schema': expected \"hwlab.result/1\", found string \"other/1\"");
  CHECK(error_after([](json& d) { d.erase("schema"); }) ==
        "r.json: field 'schema': missing; expected \"hwlab.result/1\" (is this an hwlab result file?)");
  CHECK(error_after([](json& d) { d["source"] = "simulated"; }) ==
        "r.json: field 'source': expected \"emulated\" or \"measured\", found string \"simulated\"");
  CHECK(error_after([](json& d) { d["metrics"]["layer_us"] = "abc"; }) ==
        "r.json: field 'metrics.layer_us': expected a finite number, found string \"abc\"");
  CHECK(error_after([](json& d) { d["metrics"]["link_util"]["nvlink"] = true; }) ==
        "r.json: field 'metrics.link_util.nvlink': expected a finite number, found boolean true");
  CHECK(error_after([](json& d) { d["metrics"]["a.b"] = 1; }) ==
        "r.json: field 'metrics.a.b': metric names must be non-empty and contain no '.'");
  CHECK(error_after([](json& d) { d.erase("platform"); }) ==
        "r.json: field 'platform': missing; expected an object (the fully resolved platform config)");
  CHECK(error_after([](json& d) { d["workload"] = json::array(); }) ==
        "r.json: field 'workload': expected an object (the fully resolved workload config), found an array");
  CHECK(error_after([](json& d) { d.erase("device"); }) ==
        "r.json: field 'device': missing; a measured result must name its device (name, count, driver)");
  CHECK(error_after([](json& d) { d["device"] = nullptr; }) ==
        "r.json: field 'device': missing; a measured result must name its device (name, count, driver)");
  CHECK(error_after([](json& d) { d["device"]["count"] = 0; }) ==
        "r.json: field 'device.count': expected an integer of at least 1, found number 0");
  CHECK(error_after([](json& d) { d["metric"] = json::object(); }) ==
        "r.json: field 'metric': unknown top-level key; valid keys: schema, source, tool, platform, "
        "workload, proposal, device, metrics, collectives, run");
  CHECK(error_after([](json& d) { d["tool"].erase("commit"); }) ==
        "r.json: field 'tool.commit': missing; expected the git commit");
  CHECK(error_after([](json& d) { d["collectives"][0]["bytes"] = -5; }) ==
        "r.json: field 'collectives[0].bytes': expected a non-negative integer, found number -5");
  CHECK(error_after([](json& d) { d["collectives"][1]["time_us"] = -1.5; }) ==
        "r.json: field 'collectives[1].time_us': expected a finite non-negative number, found number -1.5");
  CHECK(error_after([](json& d) { d["collectives"][1].erase("wrong"); }) ==
        "r.json: field 'collectives[1].wrong': missing; expected a count of wrong elements");
  CHECK(error_after([](json& d) { d["collectives"][0]["time_ms"] = 1; }) ==
        "r.json: field 'collectives[0].time_ms': unknown collective row key; valid keys: op, bytes, count, "
        "type, redop, root, time_us, algbw_GBps, busbw_GBps, wrong");
  CHECK(error_after([](json& d) { d["collectives"][0]["op"] = "all2all"; }) ==
        "r.json: field 'collectives[0].op': expected one of alltoall, alltoallv, allreduce, allgather, "
        "reducescatter, broadcast, reduce, sendrecv, dispatch, combine, found string \"all2all\"");
  CHECK(parse_error_of("[1, 2]") == "r.json: expected a JSON object at the top level, found an array");
}

TEST_CASE("result emulated files need no device and no proposal", "[result]") {
  json doc = json::parse(hwlab::to_json_text(measured_result()));
  doc["source"] = "emulated";
  doc.erase("device");
  doc.erase("proposal");
  doc.erase("run");
  hwlab::Result r = hwlab::parse_result(doc.dump(), "r.json");
  CHECK_FALSE(r.device.has_value());
  CHECK(r.proposal.is_null());
  CHECK(r.run == json::object());
}

TEST_CASE("result JSON syntax errors give file line and column", "[result]") {
  // 'e' of emulated is the 13th character of line 3.
  CHECK_THAT(parse_error_of("{\n  \"schema\": \"hwlab.result/1\",\n  \"source\": emulated\n}\n"),
             Catch::StartsWith("r.json:3:13: invalid JSON: syntax error while parsing value - invalid literal"));
  // A missing comma: the parser stops at the end of the next key, "b" in columns 3 to 5 of line 3.
  CHECK_THAT(parse_error_of("{\n  \"a\": 1\n  \"b\": 2\n}\n"),
             Catch::StartsWith("r.json:3:5: invalid JSON: syntax error while parsing object - unexpected string literal"));
  CHECK_THAT(parse_error_of(""), Catch::StartsWith("r.json:1:1: invalid JSON: "));
  CHECK_THAT(parse_error_of("{\"schema\": 1e999}"), Catch::StartsWith("r.json: invalid JSON: number overflow"));
}

TEST_CASE("result writer rejects what the reader would reject", "[result]") {
  hwlab::Result r = measured_result();
  r.metrics["layer_us"] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(hwlab::to_json_text(r), std::logic_error);
  CHECK_THROWS_WITH(hwlab::to_json_text(r), Catch::Contains("field 'metrics.layer_us'"));

  r = measured_result();
  r.metrics["link_util"]["ib"] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(hwlab::to_json_text(r), Catch::Contains("field 'metrics.link_util.ib'"));

  r = measured_result();
  r.platform["clock_GHz"] = std::nan("");
  CHECK_THROWS_WITH(hwlab::to_json_text(r), Catch::Contains("field 'platform.clock_GHz'"));

  r = measured_result();
  r.device.reset();
  CHECK_THROWS_AS(hwlab::to_json_text(r), std::logic_error);

  r = measured_result();
  r.collectives[0].time_us = -1;
  CHECK_THROWS_WITH(hwlab::to_json_text(r), Catch::Contains("collectives[0].time_us"));

  r = measured_result();
  r.workload = nullptr;
  CHECK_THROWS_AS(hwlab::compared_content(r), std::logic_error);
}

TEST_CASE("result flatten_metrics gives dotted keys", "[result]") {
  json metrics = {{"layer_us", 812.5},
                  {"comm_sms", 20},
                  {"link_util", {{"nvlink", 0.7}, {"ib", {{"plane0", 0.25}}}}},
                  {"empty", json::object()}};
  std::map<std::string, double> flat = hwlab::flatten_metrics(metrics);
  std::map<std::string, double> expected = {
      {"comm_sms", 20.0}, {"layer_us", 812.5}, {"link_util.ib.plane0", 0.25}, {"link_util.nvlink", 0.7}};
  CHECK(flat == expected);
  CHECK(hwlab::flatten_metrics(json::object()).empty());
  CHECK_THROWS_AS(hwlab::flatten_metrics(json{{"x", "fast"}}), std::logic_error);
  CHECK_THROWS_AS(hwlab::flatten_metrics(json::array()), std::logic_error);
}

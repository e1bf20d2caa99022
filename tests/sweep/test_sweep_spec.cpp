// `hwlab sweep` axes and points: ranges, lists, products, zip, naming, and the check of every point's
// configs with the loader.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "tools/sweep/sweep_spec.h"

using hwlab::UserError;
using namespace hwlab::sweep;
using Strings = std::vector<std::string>;

TEST_CASE("arithmetic ranges include B and keep integers integral", "[sweep]") {
  CHECK(expand_range("1:8:1", "x") == Strings{"1", "2", "3", "4", "5", "6", "7", "8"});
  CHECK(expand_range("1:10:4", "x") == Strings{"1", "5", "9"});
  CHECK(expand_range("8:2:-3", "x") == Strings{"8", "5", "2"});
  CHECK(expand_range("5:5:1", "x") == Strings{"5"});
  CHECK(expand_range("-2:2:2", "x") == Strings{"-2", "0", "2"});
}

TEST_CASE("decimal ranges keep the decimals of A and STEP, without drift", "[sweep]") {
  CHECK(expand_range("0.1:0.5:0.1", "x") == Strings{"0.1", "0.2", "0.3", "0.4", "0.5"});
  CHECK(expand_range("25:27:0.5", "x") == Strings{"25.0", "25.5", "26.0", "26.5", "27.0"});
  CHECK(expand_range("-0.2:0.2:0.1", "x") == Strings{"-0.2", "-0.1", "0.0", "0.1", "0.2"});
}

TEST_CASE("geometric ranges", "[sweep]") {
  CHECK(expand_range("2:32*2", "x") == Strings{"2", "4", "8", "16", "32"});
  CHECK(expand_range("1:100*3", "x") == Strings{"1", "3", "9", "27", "81"});
  CHECK(expand_range("0.5:4*2", "x") == Strings{"0.5", "1", "2", "4"});
  CHECK(expand_range("64:8*0.5", "x") == Strings{"64", "32", "16", "8"});
}

TEST_CASE("malformed ranges are user errors that say what was expected", "[sweep]") {
  CHECK_THROWS_WITH(expand_range("1:8", "--vary k=1:8"),
                    "--vary k=1:8: expected A:B:STEP or A:B*FACTOR, found '1:8'");
  CHECK_THROWS_WITH(expand_range("1:8:1:2", "w"), "w: expected A:B:STEP or A:B*FACTOR, found '1:8:1:2'");
  CHECK_THROWS_WITH(expand_range("1:8:x", "w"), "w: STEP: expected a number, found 'x'");
  CHECK_THROWS_WITH(expand_range("1:8:0", "w"), "w: STEP must not be 0");
  CHECK_THROWS_WITH(expand_range("8:1:1", "w"), "w: STEP 1 does not lead from 8 to 1");
  CHECK_THROWS_WITH(expand_range("0:8*2", "w"), "w: a geometric range A:B*FACTOR needs A > 0 and B > 0");
  CHECK_THROWS_WITH(expand_range("1:8*1", "w"), "w: FACTOR must be > 0 and not 1");
  CHECK_THROWS_WITH(expand_range("8:1*2", "w"), "w: FACTOR 2 does not lead from 8 to 1");
  CHECK_THROWS_WITH(expand_range("1:1000000:1", "w"), Catch::Contains("expected at most 10000 values"));
}

TEST_CASE("parse_axis: lists, ranges and their errors", "[sweep]") {
  Axis a = parse_axis("workload.deployment.comm_sms=8,16,24");
  CHECK(a.key == "workload.deployment.comm_sms");
  CHECK(a.values == Strings{"8", "16", "24"});
  CHECK(parse_axis("platform.nic.achievable_GBps=20:30:5").values == Strings{"20", "25", "30"});
  CHECK(parse_axis("workload.deployment.internode_path=direct-ib").values == Strings{"direct-ib"});
  // Commas inside YAML flow collections and quotes do not split; a string with ':' is not a range.
  CHECK(parse_axis("k.x=[1,2],[3,4]").values == Strings{"[1,2]", "[3,4]"});
  CHECK(parse_axis("k.x=\"a,b\",c").values == Strings{"\"a,b\"", "c"});
  CHECK(parse_axis("k.x=host:1").values == Strings{"host:1"});

  CHECK_THROWS_WITH(parse_axis("workload.deployment.comm_sms"), Catch::Contains("expected KEY=V1,V2,..."));
  CHECK_THROWS_WITH(parse_axis("=1,2"), "--vary =1,2: expected a config key before '=' (e.g. workload.deployment.comm_sms)");
  CHECK_THROWS_WITH(parse_axis("k.x="), "--vary k.x=: expected values after '='");
  CHECK_THROWS_WITH(parse_axis("k.x=1,,2"), "--vary k.x=1,,2: value 2 is empty");
  CHECK_THROWS_WITH(parse_axis("k.x=1,2,1"), "--vary k.x=1,2,1: value '1' is listed twice");
  CHECK_THROWS_WITH(parse_axis("k.x=1:8"), "--vary k.x=1:8: expected A:B:STEP or A:B*FACTOR, found '1:8'");
}

TEST_CASE("the Cartesian product varies the first axis slowest", "[sweep]") {
  const std::vector<Axis> axes = {{"a.x", {"1", "2"}}, {"a.y", {"p", "q", "r"}}};
  const auto points = expand_points(axes, false);
  REQUIRE(points.size() == 6);
  CHECK(points[0].values == Strings{"1", "p"});
  CHECK(points[1].values == Strings{"1", "q"});
  CHECK(points[3].values == Strings{"2", "p"});
  CHECK(points[5].values == Strings{"2", "r"});
  CHECK(points[5].index == 5);
  CHECK(point_overrides(axes, points[4]) == Strings{"a.x=2", "a.y=q"});
}

TEST_CASE("zip pairs values and needs equal lengths", "[sweep]") {
  const auto points = expand_points({{"a.x", {"1", "2", "3"}}, {"a.y", {"p", "q", "r"}}}, true);
  REQUIRE(points.size() == 3);
  CHECK(points[1].values == Strings{"2", "q"});
  CHECK_THROWS_WITH(expand_points({{"a.x", {"1", "2", "3"}}, {"a.y", {"p", "q"}}}, true),
                    "--zip: every axis needs the same number of values; a.x has 3, a.y has 2");
}

TEST_CASE("axes given twice, fixed by --set, missing or too many are user errors", "[sweep]") {
  CHECK_THROWS_WITH(expand_points({{"a.x", {"1"}}, {"a.x", {"2"}}}, false), "--vary a.x: this key is varied twice");
  CHECK_THROWS_WITH(expand_points({{"a.x", {"1"}}}, false, {"a.x=3"}),
                    "--vary a.x: this key is also fixed by --set a.x=3; give one or the other");
  CHECK_THROWS_WITH(expand_points({}, false), "expected at least one --vary KEY=VALUES");
  const Strings thousand(1000, "v");
  CHECK_THROWS_WITH(expand_points({{"a.x", thousand}, {"a.y", thousand}}, false),
                    Catch::Contains("more than 100000 points"));
}

TEST_CASE("point files are numbered from 0, padded to the last index", "[sweep]") {
  CHECK(point_file_name(0, 2) == "point-000.json");
  CHECK(point_file_name(7, 8) == "point-007.json");
  CHECK(point_file_name(999, 1000) == "point-999.json");
  CHECK(point_file_name(42, 1001) == "point-0042.json");
}

TEST_CASE("every point's configs are checked with the loader, naming the point", "[sweep]") {
  const std::vector<hwlab::workloads::ConfigInput> inputs = {{hwlab::config::ConfigKind::platform, "h800"},
                                                             {hwlab::config::ConfigKind::workload, "dsv3-prefill"}};
  const std::vector<Axis> good = {{"workload.deployment.comm_sms", {"8", "16"}}};
  CHECK_NOTHROW(validate_points(inputs, {}, good, expand_points(good, false)));

  const std::vector<Axis> bad_value = {{"workload.deployment.comm_sms", {"8", "many"}}};
  CHECK_THROWS_WITH(validate_points(inputs, {}, bad_value, expand_points(bad_value, false)),
                    Catch::StartsWith("point-001 (workload.deployment.comm_sms=many): ") &&
                        Catch::Contains("comm_sms: expected an integer"));

  const std::vector<Axis> bad_key = {{"workload.deployment.tokens_per_gpus", {"64", "128"}}};
  CHECK_THROWS_WITH(validate_points(inputs, {}, bad_key, expand_points(bad_key, false)),
                    Catch::StartsWith("point-000 (workload.deployment.tokens_per_gpus=64): ") &&
                        Catch::Contains("(did you mean 'tokens_per_gpu'?)"));

  const std::vector<Axis> no_kind = {{"workloads.deployment.comm_sms", {"8"}}};
  CHECK_THROWS_WITH(validate_points(inputs, {}, no_kind, expand_points(no_kind, false)),
                    Catch::Contains("(did you mean 'workload'?)"));

  CHECK_THROWS_WITH(validate_points(inputs, {"workload.deployment.nodes=x"}, good, expand_points(good, false)),
                    Catch::StartsWith("base configs: "));
}

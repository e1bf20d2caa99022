#include <catch2/catch.hpp>

#include "common/config/node.h"
#include "common/config/print.h"
#include "common/config/suggest.h"
#include "workloads/run_configs.h"

using namespace hwlab;
using namespace hwlab::config;

TEST_CASE("YAML locations are 1-based and survive merging", "[config]") {
  ConfigNode base = parse_yaml("a:\n  b: 1\n  c: 2\n", "base.yaml");
  ConfigNode over = parse_yaml("a:\n  c: 3\n  d: 4\n", "over.yaml");
  merge_into(base, over);
  CHECK(base.find("a")->find("b")->location.str() == "base.yaml:2:6");
  CHECK(base.find("a")->find("c")->scalar == "3");
  CHECK(base.find("a")->find("c")->location.str() == "over.yaml:2:6");
  CHECK(base.find("a")->key_location("d").str() == "over.yaml:3:3");
  CHECK(base.find("a")->entries.size() == 3);
}

TEST_CASE("quoted scalars stay strings", "[config]") {
  ConfigNode n = parse_yaml("a: '12'\nb: 12\n", "q.yaml");
  CHECK(n.find("a")->quoted);
  CHECK_FALSE(n.find("b")->quoted);
  CHECK_THROWS_WITH(parse_integer(*n.find("a"), "a", {}), Catch::Contains("expected an integer"));
  CHECK(parse_integer(*n.find("b"), "b", {}) == 12);
}

TEST_CASE("numbers are strict", "[config]") {
  auto num = [](const char* text) { return parse_number(parse_yaml(std::string("x: ") + text, "n.yaml").entries[0].second, "x", {}); };
  CHECK(num("1.5e3") == 1500.0);
  CHECK(num("-2") == -2.0);
  for (const char* bad : {"inf", ".inf", "nan", "0x10", "1,5", "1.5GB", "1e999"}) {
    INFO(bad);
    CHECK_THROWS_AS(num(bad), UserError);
  }
  auto integer = [](const char* text) { return parse_integer(parse_yaml(std::string("x: ") + text, "n.yaml").entries[0].second, "x", {}); };
  CHECK(integer("-7") == -7);
  for (const char* bad : {"1.0", "1e3", "99999999999999999999", "7x", "+"}) {
    INFO(bad);
    CHECK_THROWS_AS(integer(bad), UserError);
  }
}

TEST_CASE("did-you-mean picks a plausible neighbour or nothing", "[config]") {
  CHECK(edit_distance("sm_cont", "sm_count") == 1);
  CHECK(edit_distance("hbm_GBps", "hbm_GBsp") == 1);  // a swap of neighbours is one edit
  CHECK(nearest("sm_cont", {"name", "sm_count", "hbm_GBps"}) == "sm_count");
  CHECK(nearest("link_Gbps", {"link_GBps", "latency_us"}) == "link_GBps");
  CHECK(nearest("completely_different", {"name", "sm_count"}).empty());
}

TEST_CASE("config show output reads back to the same config", "[config]") {
  for (const char* w : {"dsv3-prefill", "dsv3-decode"}) {
    auto run = workloads::load_run_configs({{ConfigKind::workload, w}}, {});
    std::string yaml = "kind: workload\n" + to_yaml(*run.workload);
    auto again = workloads::read_workload(parse_yaml(yaml, "printed.yaml"));
    CHECK(to_json(again).dump() == to_json(*run.workload).dump());
  }
  auto run = workloads::load_run_configs({{ConfigKind::platform, "h800"}, {ConfigKind::proposal, "fp32-accumulation"}}, {});
  std::string yaml = "kind: platform\n" + to_yaml(*run.platform);
  CHECK(to_json(read_struct<PlatformConfig>(parse_yaml(yaml, "p.yaml"), "platform")).dump() ==
        to_json(*run.platform).dump());
  std::string prop = "kind: proposal\n" + to_yaml(*run.proposal);
  CHECK(to_json(read_struct<ProposalConfig>(parse_yaml(prop, "q.yaml"), "proposal")).dump() ==
        to_json(*run.proposal).dump());
  CHECK(to_json(*run.proposal)["coprocessor"].is_null());
  CHECK(to_json(*run.proposal)["numerics"]["accumulator"] == "fp32-acc");
}

namespace {
struct FourStrings {
  std::string a, b, c, d;
  template <class V>
  void fields(V& v) {
    v.required("a", a, "");
    v.required("b", b, "");
    v.required("c", c, "");
    v.required("d", d, "");
  }
  void check(const Checker&) const {}
};
}  // namespace

TEST_CASE("YAML printer quotes strings that YAML would read as something else", "[config]") {
  FourStrings s{"true", "12", "x: y # z", "plain words"};
  FourStrings back = read_struct<FourStrings>(parse_yaml(to_yaml(s), "s.yaml"), "s");
  CHECK(back.a == "true");
  CHECK(back.b == "12");
  CHECK(back.c == "x: y # z");
  CHECK(back.d == "plain words");
}

// Every file in tests/data/configs/bad is a broken config with its expected error in its header:
//   # expect-at: LINE:COLUMN            (in this file; or PATH:LINE:COLUMN, or the --set argument)
//   # expect: TEXT                      (must appear in the message; repeatable)
//   # with: PRESET                      (optional: loaded before this file)
//   # set: KIND.KEY=VALUE               (optional: a --set override)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"
#include "workloads/run_configs.h"

namespace fs = std::filesystem;
using namespace hwlab;

namespace {

struct Case {
  std::string path, expect_at;
  std::vector<std::string> expect;
  std::vector<std::string> with, sets;
};

Case parse_case(const fs::path& file) {
  Case c{file.string(), "", {}, {}, {}};
  std::ifstream in(file);
  std::string line;
  auto value = [&](const std::string& tag) { return line.substr(tag.size()); };
  while (std::getline(in, line) && line.rfind("# ", 0) == 0) {
    if (line.rfind("# expect-at: ", 0) == 0) c.expect_at = value("# expect-at: ");
    else if (line.rfind("# expect: ", 0) == 0) c.expect.push_back(value("# expect: "));
    else if (line.rfind("# with: ", 0) == 0) c.with.push_back(value("# with: "));
    else if (line.rfind("# set: ", 0) == 0) c.sets.push_back(value("# set: "));
  }
  return c;
}

}  // namespace

TEST_CASE("each broken config names the right place and field", "[config]") {
  const fs::path dir = fs::path(HWLAB_SOURCE_DIR) / "tests/data/configs/bad";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 20);

  for (const auto& file : files) {
    const Case c = parse_case(file);
    INFO("corpus file " << c.path);
    REQUIRE(!c.expect_at.empty());
    REQUIRE(!c.expect.empty());
    // The location prefix: LINE:COLUMN in this file, a repository path, or a --set argument.
    std::string prefix = c.expect_at;
    if (std::isdigit(static_cast<unsigned char>(prefix[0]))) prefix = c.path + ":" + prefix;
    prefix += ": ";

    std::vector<workloads::ConfigInput> inputs;
    for (const auto& w : c.with) inputs.push_back({std::nullopt, w});
    inputs.push_back({std::nullopt, c.path});
    std::string message;
    try {
      workloads::load_run_configs(inputs, c.sets);
    } catch (const UserError& e) {
      message = e.what();
    }
    INFO("message: " << message);
    CHECK(message.rfind(prefix, 0) == 0);
    for (const auto& text : c.expect) CHECK(message.find(text) != std::string::npos);
  }
}

TEST_CASE("every preset loads, and each config kind is checked against its role", "[config]") {
  for (const char* platform : {"h800", "h100", "h200"}) {
    for (const char* workload : {"dsv3-prefill", "dsv3-decode"}) {
      for (const char* proposal : {"coprocessor", "fp32-accumulation"}) {
        INFO(platform << " " << workload << " " << proposal);
        auto run = workloads::load_run_configs({{config::ConfigKind::platform, platform},
                                                {config::ConfigKind::workload, workload},
                                                {config::ConfigKind::proposal, proposal}},
                                               {});
        CHECK(run.platform->gpu.sm_count == 132);
        CHECK(run.workload->model.hidden_size == 7168);
      }
    }
  }
  CHECK_THROWS_WITH(workloads::load_run_configs({{config::ConfigKind::workload, "h800"}}, {}),
                    Catch::Contains("no workload preset named 'h800'"));
  CHECK_THROWS_WITH(workloads::load_run_configs({{config::ConfigKind::workload, HWLAB_SOURCE_DIR "/configs/platforms/h800.yaml"}}, {}),
                    Catch::Contains("kind: expected workload (this file was given as the workload), found platform"));
}

TEST_CASE("DeepSeek-V3 presets resolve to the report's deployment", "[config]") {
  auto prefill = workloads::load_run_configs({{config::ConfigKind::workload, "dsv3-prefill"}}, {}).workload;
  CHECK(prefill->model.moe_layers() == 58);
  CHECK(prefill->model.dispatch_bytes_per_token() == 7168 + 4 * 56);
  CHECK(prefill->model.combine_bytes_per_token() == 2 * 7168);
  CHECK(prefill->deployment.gpus() == 32);
  CHECK(prefill->experts_per_gpu() == 9);  // 8 routed + 1 redundant

  auto decode = workloads::load_run_configs({{config::ConfigKind::workload, "dsv3-decode"}}, {}).workload;
  CHECK(decode->deployment.gpus() == 320);
  CHECK(decode->experts_per_gpu() == 1);
  CHECK(decode->deployment.routed_expert_gpus() + decode->deployment.shared_expert_gpus == 320);
}

TEST_CASE("any key can be overridden with --set and a proposal overrides platform keys", "[config]") {
  auto run = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}},
      {"platform.nic.achievable_GBps=35.5", "workload.routing.popularity=uniform", "workload.deployment.comm_sms=24"});
  CHECK(run.platform->nic.achievable_GBps == 35.5);
  CHECK(run.workload->routing.popularity == workloads::Popularity::uniform);
  CHECK(run.workload->deployment.comm_sms == 24);

  CHECK_THROWS_WITH(workloads::load_run_configs({{config::ConfigKind::platform, "h800"}}, {"workload.routing.seed=3"}),
                    Catch::Contains("no workload config was given"));
  CHECK_THROWS_WITH(workloads::load_run_configs({{config::ConfigKind::platform, "h800"}}, {"platform.gpu"}),
                    Catch::Contains("expected KIND.KEY.PATH=VALUE"));
  CHECK_THROWS_WITH(workloads::load_run_configs({{config::ConfigKind::platform, "h800"}}, {"platform.gpu.name.x=1"}),
                    Catch::Contains("platform.gpu.name is \"H800 SXM5\""));
}

TEST_CASE("a relative trace_file is found beside the workload that names it", "[config]") {
  const fs::path dir = fs::temp_directory_path() / "hwlab_test_trace_path";
  fs::create_directories(dir / "sub");
  std::string text = read_file(HWLAB_SOURCE_DIR "/configs/workloads/dsv3-prefill.yaml");
  text.replace(text.find("popularity: zipf"), 16, "popularity: trace\n  trace_file: sub/topk.npy");
  const std::string path = (dir / "w.yaml").string();
  write_file_atomically(path, text);
  auto w = workloads::load_run_configs({{config::ConfigKind::workload, path}}, {}).workload;
  CHECK(w->routing.trace_file == (dir / "sub/topk.npy").string());
  fs::remove_all(dir);
}

// Whole runs of the cluster model (each in a child process, see emulator/emulate.h).
#include <catch2/catch.hpp>

#include "emulator/emulate.h"
#include "tests/emulator/tiny_cluster.h"
#include "workloads/expert_layout.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/traffic.h"

using namespace hwlab;
using namespace hwlab::emulator;
using namespace hwlab::emulator::test;

TEST_CASE("one transfer over one NVLink takes the time computed by hand", "[emulator][timing]") {
  // GPU0's 64 tokens all go to expert 1 on GPU1; GPU1 keeps its own. 64 tokens of 7392 bytes in
  // windows of 8 tokens (65536 / 7392): 8 chunks of 59136 bytes.
  const auto run = tiny(2, write_trace("one_link.csv", std::vector<int>(128, 1)));
  const auto out = emulate(run, comm_only(), false);
  // NVLink port 160 GB/s: 0.3696 us per chunk, the bottleneck (20 SMs send at 200 GB/s). Chunk i
  // leaves GPU0's port in [0.3696 i, 0.3696 (i+1)), reaches GPU1's port 1 us later, and GPU1's
  // receive role (20 x 12 GB/s + 0.5/20 us per chunk = 0.2714 us) copies it out: the last chunk is
  // done at 8 x 0.3696 + 1 + 0.2714 = 4.2282 us.
  CHECK(metric(out, "dispatch_us") == Approx(4.2282).epsilon(1e-4));
  CHECK(metric(out, "dispatch_nvlink_bytes_per_gpu") == Approx(64.0 * 7392 / 2));  // mean over 2 GPUs
  CHECK(metric(out, "wrong_deliveries") == 0);
}

TEST_CASE("two senders sharing a receiver's port take twice the port time", "[emulator][timing]") {
  // 3 GPUs: GPU0 and GPU2 both send 64 tokens to GPU1.
  std::vector<int> trace(192, 1);
  const auto out = emulate(tiny(3, write_trace("shared_port.csv", trace)), comm_only(), false);
  // GPU1's receive port carries 16 chunks back to back from 1 us: the last is in at
  // 1 + 16 x 0.3696 = 6.9136 us and copied out 0.2714 us later.
  CHECK(metric(out, "dispatch_us") == Approx(7.1850).epsilon(1e-4));
  // Combine mirrors it: GPU1 returns 2 x 64 sums of 14336 bytes through its transmit port.
  CHECK(metric(out, "combine_nvlink_bytes_per_gpu") == Approx(2 * 64.0 * 14336 / 3));
}

TEST_CASE("emulated bytes equal the workload traffic, and every token is delivered once", "[emulator][conservation]") {
  for (uint64_t seed : {1u, 7u, 42u}) {
    for (const char* preset : {"dsv3-prefill", "dsv3-decode"}) {
      INFO(preset << " seed " << seed);
      std::vector<std::string> sets = {"workload.routing.seed=" + std::to_string(seed)};
      if (std::string(preset) == "dsv3-prefill") sets.push_back("workload.deployment.tokens_per_gpu=256");
      const auto run = workloads::load_run_configs(
          {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, preset}}, sets);
      const auto out = emulate(run, comm_only(), false);
      CHECK(metric(out, "wrong_deliveries") == 0);
      // The same routing through workloads/traffic.h (an independent computation of the bytes).
      workloads::TokenRouter router(*run.workload);
      const workloads::ExpertLayout layout(*run.workload, router.history_loads(0));
      const auto t = workloads::compute_traffic(*run.workload, layout, router.route_micro_batch(0, 0));
      const double gpus = run.workload->deployment.gpus();
      // NVLink bytes the emulator moved include cross-plane relays of direct IB traffic; with
      // forwarding there are none, and every byte matches.
      CHECK(metric(out, "dispatch_ib_bytes_per_gpu") == Approx(t.dispatch_ib.total() / gpus));
      CHECK(metric(out, "combine_ib_bytes_per_gpu") == Approx(t.combine_ib.total() / gpus));
      if (run.workload->deployment.internode_path == workloads::InternodePath::nvlink_forwarding) {
        CHECK(metric(out, "dispatch_nvlink_bytes_per_gpu") == Approx(t.dispatch_nvlink.total() / gpus));
        CHECK(metric(out, "combine_nvlink_bytes_per_gpu") == Approx(t.combine_nvlink.total() / gpus));
      }
    }
  }
}

TEST_CASE("same seed, byte-identical result; another seed, another result", "[emulator][determinism]") {
  auto run_with = [](const char* seed) {
    const auto run = workloads::load_run_configs(
        {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-decode"}},
        {std::string("workload.routing.seed=") + seed, "workload.deployment.tokens_per_gpu=32"});
    EmulationOptions o;
    o.layers = 2;
    return compared_content(emulate(run, o, false).result);
  };
  const std::string a = run_with("3");
  CHECK(a == run_with("3"));
  CHECK(a != run_with("4"));
}

TEST_CASE("prefill overlaps two micro-batches: the layer takes less than its parts in sequence", "[emulator][schedule]") {
  const auto run = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}},
      {"workload.deployment.tokens_per_gpu=1024"});
  EmulationOptions o;
  o.layers = 2;
  const auto out = emulate(run, o, true);
  const double parts = 2 * (metric(out, "attention_us") + metric(out, "gemm_us") + metric(out, "dispatch_us") +
                            metric(out, "combine_us"));
  CHECK(metric(out, "layer_us") < parts);
  // The communication-bound part hides behind compute at least partly, and the layer is never
  // shorter than the compute of its two micro-batches.
  CHECK(metric(out, "layer_us") >= 2 * (metric(out, "attention_us") + metric(out, "gemm_us")) * 0.99);
  CHECK(out.trace.find("\"traceEvents\"") != std::string::npos);
  CHECK(out.trace.find("dispatch L1 mb1") != std::string::npos);
}

TEST_CASE("a co-processor gives the communication SMs back to compute", "[emulator][proposal]") {
  auto base = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}},
      {"workload.deployment.tokens_per_gpu=1024"});
  auto prop = workloads::load_run_configs({{config::ConfigKind::platform, "h800"},
                                           {config::ConfigKind::workload, "dsv3-prefill"},
                                           {config::ConfigKind::proposal, "coprocessor"}},
                                          {"workload.deployment.tokens_per_gpu=1024"});
  EmulationOptions o;
  o.layers = 1;
  const auto a = emulate(base, o, false), b = emulate(prop, o, false);
  CHECK(metric(a, "comm_sms") == 20);
  CHECK(metric(b, "comm_sms") == 0);
  // 132 instead of 112 SMs for the expert GEMMs.
  CHECK(metric(b, "gemm_us") < metric(a, "gemm_us"));
}

TEST_CASE("configurations the model cannot run are refused with the reason", "[emulator][errors]") {
  const auto no_sms = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}},
      {"workload.deployment.comm_sms=0"});
  CHECK_THROWS_WITH(emulate(no_sms, {}, false), Catch::Contains("comm_sms is 0"));
  const auto mismatch = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}},
      {"platform.node.gpus_per_node=4"});
  CHECK_THROWS_WITH(emulate(mismatch, {}, false), Catch::Contains("has 4 GPUs per node"));
  const auto run = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}}, {});
  EmulationOptions too_many;
  too_many.layers = 59;
  CHECK_THROWS_WITH(emulate(run, too_many, false), Catch::Contains("--layers 59"));
}

// The co-processor running the ISA programs of isa/moe in timed runs (proposal.coprocessor.program:
// isa): a case computed by hand, the same bytes and deliveries as the window schedule over seeds and
// both inter-node paths, every batch cut from the tables equal to the plan's window, determinism, and
// what it refuses. With the cycle-level co-processor: test_cosim.cpp.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "emulator/emulate.h"
#include "tests/emulator/tiny_cluster.h"
#include "workloads/run_configs.h"

using namespace hwlab;
using namespace hwlab::emulator;
using namespace hwlab::emulator::test;

namespace {

// tiny_cluster.h's one-node cluster with the co-processor: one 200 GB/s DMA engine, 0.5 us from
// descriptor to first byte, a reduce unit too fast to matter.
workloads::RunConfigs tiny_coprocessor(int gpus, const std::string& trace, const char* program) {
  return tiny(gpus, trace,
              {"proposal.coprocessor.dma_engines=1", "proposal.coprocessor.dma_engine_GBps=200",
               "proposal.coprocessor.reduce_GBps=1000000", "proposal.coprocessor.issue_latency_us=0.5",
               std::string("proposal.coprocessor.program=") + program},
              "coprocessor");
}

workloads::RunConfigs prefill(std::vector<std::string> sets) {
  sets.push_back("workload.deployment.tokens_per_gpu=48");
  return workloads::load_run_configs({{config::ConfigKind::platform, "h800"},
                                      {config::ConfigKind::workload, "dsv3-prefill"},
                                      {config::ConfigKind::proposal, "coprocessor"}},
                                     sets);
}

}  // namespace

TEST_CASE("ISA programs: one link, computed by hand", "[emulator][isa-programs]") {
  // GPU0's 64 tokens all go to expert 1 on GPU1; GPU1 keeps its own. Windows of 8 tokens (65536 /
  // 7392 bytes).
  const std::string trace = write_trace("isa_one_link.csv", std::vector<int>(128, 1));
  const auto windows = emulate(tiny_coprocessor(2, trace, "windows"), comm_only(), false);
  const auto isa = emulate(tiny_coprocessor(2, trace, "isa"), comm_only(), false);
  // Dispatch: the table walker cuts 8 batches of 8 rows (59136 bytes); each DMA starts 0.5 us after
  // the previous one's start (issue latency; the engine needs 0.2957 us, GPU0's NVLink port
  // 0.3696 us): the last leaves at 4.0 us and lands at 4.0 + 0.3696 + 1 = 5.3696 us, as with the
  // window schedule. GPU1's WAIT then needs GPU0's signal, sent once its last byte landed: one more
  // NVLink latency, 6.3696 us.
  CHECK(metric(windows, "dispatch_us") == Approx(5.3696).epsilon(1e-6));
  CHECK(metric(isa, "dispatch_us") == Approx(6.3696).epsilon(1e-6));
  // Combine: GPU0 (from 5.3696 us) owns all 64 tokens and pulls their rows from GPU1 once GPU1's
  // outputs are ready (its combine starts at 6.3696 us). Read i: its engine (114688 bytes, 0.57344 us)
  // starts at 6.8696 + 0.57344 i, the 64-byte request reaches GPU1 1.0004 us later, and GPU1's port
  // sends the answers back to back (0.7168 us each, slower than the requests come): the last leaves
  // at 7.87 + 8 x 0.7168 = 13.6044 us and lands at 14.6044 us. Then the reduce unit sums it
  // (0.000115 us) and rounds the 64 FP32 rows (0.001835 us): 14.60635 - 5.3696 = 9.23675 us.
  CHECK(metric(isa, "combine_us") == Approx(9.23675).epsilon(1e-6));
  for (const auto* out : {&windows, &isa}) {
    CHECK(metric(*out, "wrong_deliveries") == 0);
    CHECK(metric(*out, "dispatch_nvlink_bytes_per_gpu") == Approx(64.0 * 7392 / 2));
    CHECK(metric(*out, "combine_nvlink_bytes_per_gpu") == Approx(64.0 * 14336 / 2));
  }
  CHECK(metric(isa, "coproc_isa_plan_mismatches") == 0);
  // Per GPU: DISPATCH, WAIT; COMBINE forward, COMBINE final, WAIT, COMBINE final.
  CHECK(metric(isa, "coproc_isa_descriptors") == 2 * 6);
  CHECK(windows.result.metrics.count("coproc_isa_descriptors") == 0);
}

TEST_CASE("ISA programs: the window schedule's bytes and deliveries, over seeds and both paths", "[emulator][isa-programs]") {
  EmulationOptions o;
  o.layers = 2;
  for (const char* path : {"nvlink-forwarding", "direct-ib"})
    for (int seed = 1; seed <= 2; ++seed) {
      INFO(path << " seed " << seed);
      const std::vector<std::string> sets = {"workload.routing.seed=" + std::to_string(seed),
                                             std::string("workload.deployment.internode_path=") + path};
      auto isa_sets = sets, window_sets = sets;
      isa_sets.push_back("proposal.coprocessor.program=isa");
      window_sets.push_back("proposal.coprocessor.program=windows");
      const auto isa = emulate(prefill(isa_sets), o, false);
      const auto windows = emulate(prefill(window_sets), o, false);
      CHECK(metric(isa, "wrong_deliveries") == 0);
      CHECK(metric(isa, "coproc_isa_plan_mismatches") == 0);
      CHECK(metric(isa, "coproc_isa_phases") == 4);
      const bool forwarding = std::string(path) == "nvlink-forwarding";
      CHECK(metric(isa, "coproc_isa_descriptors") == 4 * 32 * (forwarding ? 6 : 3));
      for (const char* key : {"dispatch_nvlink_bytes_per_gpu", "dispatch_ib_bytes_per_gpu",
                              "combine_nvlink_bytes_per_gpu", "combine_ib_bytes_per_gpu"}) {
        INFO(key);
        CHECK(metric(isa, key) == metric(windows, key));
      }
      CHECK(metric(isa, "layer_us") > 0);
    }
}

TEST_CASE("ISA programs: same seed, byte-identical result", "[emulator][isa-programs][determinism]") {
  EmulationOptions o;
  o.layers = 1;
  const auto a = emulate(prefill({"proposal.coprocessor.program=isa"}), o, false);
  const auto b = emulate(prefill({"proposal.coprocessor.program=isa"}), o, false);
  CHECK(a.result.metrics.dump() == b.result.metrics.dump());
}

TEST_CASE("ISA programs: what they cannot run with is refused", "[emulator][isa-programs][errors]") {
  EmulationOptions o;
  o.layers = 1;
  CHECK_THROWS_WITH(emulate(prefill({"proposal.coprocessor.program=isa", "platform.emulation.network_model=flow"}), o, false),
                    Catch::Contains("program isa runs on the packet model"));
  CHECK_THROWS_WITH(prefill({"proposal.coprocessor.program=ptx"}), Catch::Contains("program"));
}

TEST_CASE("ISA programs: a NIC down and a straggler still deliver every token", "[emulator][isa-programs][faults]") {
  EmulationOptions o;
  o.layers = 1;
  const auto healthy = emulate(prefill({"proposal.coprocessor.program=isa"}), o, false);
  const auto faulty = emulate(prefill({"proposal.coprocessor.program=isa", "platform.faults.nic_down=[1,10]",
                                       "platform.faults.stragglers=[5]", "platform.faults.straggler_slowdown=3"}),
                              o, false);
  CHECK(metric(faulty, "wrong_deliveries") == 0);
  CHECK(metric(faulty, "coproc_isa_plan_mismatches") == 0);
  // Reads and writes of the GPUs without a NIC go through a node peer's; the straggler's outputs
  // are read late: the layer takes longer.
  CHECK(metric(faulty, "layer_us") > metric(healthy, "layer_us"));
  for (const char* key : {"dispatch_ib_bytes_per_gpu", "combine_ib_bytes_per_gpu"}) {
    INFO(key);
    CHECK(metric(faulty, key) == metric(healthy, key));
  }
}

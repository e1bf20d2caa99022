// MoE runs on the flow-level network model (platform.emulation.network_model: flow): the hand-computed
// cases of the packet model give the same times, the bytes equal the packet model's exactly, the
// times stay close to it, and what it cannot model is refused.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "emulator/emulate.h"
#include "tests/emulator/tiny_cluster.h"
#include "workloads/run_configs.h"

using namespace hwlab;
using namespace hwlab::emulator;
using namespace hwlab::emulator::test;

namespace {

const char* kFlow = "platform.emulation.network_model=flow";

EmulationOutput run(const char* workload, std::vector<std::string> sets, bool comm_only, int layers = 0,
                    const char* proposal = nullptr) {
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, workload}};
  if (proposal) in.push_back({config::ConfigKind::proposal, proposal});
  EmulationOptions o;
  o.comm_only = comm_only;
  o.layers = layers;
  return emulate(workloads::load_run_configs(in, sets), o, false);
}

}  // namespace

TEST_CASE("flow model: the packet model's hand-computed NVLink cases, same times", "[emulator][flow]") {
  // One link (test_emulation.cpp): 8 chunks of 59136 B through a 160 GB/s port (0.3696 us each, the
  // busiest resource), then the rest of the last chunk's way: 1 us of latency and the receive role's
  // 0.2714 us: 8 x 0.3696 + 1 + 0.2714 = 4.2282 us, as the packet model gives.
  const auto one =
      emulate(tiny(2, write_trace("flow_one_link.csv", std::vector<int>(128, 1)), {kFlow}), comm_only(), false);
  CHECK(metric(one, "dispatch_us") == Approx(4.2282).epsilon(1e-4));
  CHECK(metric(one, "dispatch_nvlink_bytes_per_gpu") == Approx(64.0 * 7392 / 2));
  // Two senders into one port: 16 chunks, 1 + 16 x 0.3696 + 0.2714 = 7.1850 us.
  const auto shared =
      emulate(tiny(3, write_trace("flow_shared_port.csv", std::vector<int>(192, 1)), {kFlow}), comm_only(), false);
  CHECK(metric(shared, "dispatch_us") == Approx(7.1850).epsilon(1e-4));
  CHECK(metric(shared, "combine_nvlink_bytes_per_gpu") == Approx(2 * 64.0 * 14336 / 3));
}

TEST_CASE("flow model: same bytes as the packet model, times close to it", "[emulator][flow]") {
  // DeepSeek-V3 prefill (EP32, IB->NVLink forwarding) and decode (EP320) dispatch + combine, with SMs and
  // with the co-processor. Bytes are exact in both models. Dispatch times agree within 6 %; combine,
  // whose NVLink, reduction and IB stages are nearly balanced, is optimistic in the flow model (it
  // cannot see the stages waiting on each other) by up to 20 % (papers/validation/flow-model.md).
  struct Case {
    const char* workload;
    const char* proposal;
    const char* tokens;
  };
  for (const Case& c : {Case{"dsv3-prefill", nullptr, "workload.deployment.tokens_per_gpu=1024"},
                        Case{"dsv3-prefill", "coprocessor", "workload.deployment.tokens_per_gpu=1024"},
                        Case{"dsv3-decode", nullptr, "workload.deployment.tokens_per_gpu=128"},
                        Case{"dsv3-decode", "coprocessor", "workload.deployment.tokens_per_gpu=128"}}) {
    INFO(c.workload << (c.proposal ? " + co-processor" : ""));
    const auto packet = run(c.workload, {c.tokens}, true, 0, c.proposal);
    const auto flow = run(c.workload, {c.tokens, kFlow}, true, 0, c.proposal);
    for (const char* key : {"dispatch_nvlink_bytes_per_gpu", "dispatch_ib_bytes_per_gpu",
                            "combine_nvlink_bytes_per_gpu", "combine_ib_bytes_per_gpu"})
      CHECK(metric(flow, key) == metric(packet, key));
    CHECK(metric(flow, "dispatch_us") == Approx(metric(packet, "dispatch_us")).epsilon(0.06));
    CHECK(metric(flow, "combine_us") <= metric(packet, "combine_us") * 1.01);
    CHECK(metric(flow, "combine_us") >= metric(packet, "combine_us") * 0.8);
    CHECK(metric(flow, "wrong_deliveries") == 0);
    CHECK(flow.result.run.contains("flow_dispatch_bottlenecks"));
  }
}

TEST_CASE("flow model: a straggler delays the step; same seed, same result", "[emulator][flow]") {
  const std::vector<std::string> base = {kFlow};
  const auto a = run("dsv3-decode", base, false, 2);
  const auto b = run("dsv3-decode", base, false, 2);
  CHECK(a.result.metrics.dump() == b.result.metrics.dump());
  auto slow_sets = base;
  slow_sets.push_back("platform.faults.stragglers=[7]");
  slow_sets.push_back("platform.faults.straggler_slowdown=2");
  const auto slow = run("dsv3-decode", slow_sets, false, 2);
  CHECK(metric(slow, "step_us") > 1.2 * metric(a, "step_us"));
}

TEST_CASE("flow model: what it cannot model is refused", "[emulator][flow]") {
  CHECK_THROWS_WITH(run("dsv3-prefill", {kFlow, "platform.faults.nic_down=[1]"}, true),
                    Catch::Contains("does not model link faults"));
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, "dsv3-prefill"},
                                            {config::ConfigKind::proposal, "coprocessor"}};
  EmulationOptions functional;
  functional.comm_only = true;
  functional.functional = true;
  CHECK_THROWS_WITH(emulate(workloads::load_run_configs(in, {kFlow, "workload.model.hidden_size=128"}), functional, false),
                    Catch::Contains("functional mode checks the packet model's deliveries"));
  CHECK_THROWS_AS(emulate(workloads::load_run_configs(in, {kFlow, "proposal.coprocessor.model=rtl"}), comm_only(), false),
                  UserError);
}

// Faults: the run finishes on rerouted or degraded hardware, or stops with a report.
#include <catch2/catch.hpp>

#include "emulator/emulate.h"
#include "workloads/run_configs.h"

using namespace hwlab;
using namespace hwlab::emulator;

namespace {

EmulationOutput prefill(std::vector<std::string> sets, const char* proposal = nullptr) {
  sets.push_back("workload.deployment.tokens_per_gpu=256");
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, "dsv3-prefill"}};
  if (proposal) in.push_back({config::ConfigKind::proposal, proposal});
  EmulationOptions o;
  o.comm_only = true;
  return emulate(workloads::load_run_configs(in, sets), o, false);
}

double m(const EmulationOutput& o, const char* key) { return o.result.metrics.at(key).get<double>(); }

}  // namespace

TEST_CASE("a NIC down: its GPU's IB traffic relays through a node peer and the run finishes slower", "[emulator][faults]") {
  const auto healthy = prefill({});
  const auto faulty = prefill({"platform.faults.nic_down=[1]"});
  CHECK(m(faulty, "wrong_deliveries") == 0);
  // The relay's NIC carries two GPUs' IB traffic: the dispatch takes clearly longer.
  CHECK(m(faulty, "dispatch_us") > 1.5 * m(healthy, "dispatch_us"));
  // No byte is lost: the same IB bytes cross the fabric, plus NVLink hops to and from the relay.
  CHECK(m(faulty, "dispatch_ib_bytes_per_gpu") == Approx(m(healthy, "dispatch_ib_bytes_per_gpu")));
  CHECK(m(faulty, "dispatch_nvlink_bytes_per_gpu") > m(healthy, "dispatch_nvlink_bytes_per_gpu"));
}

TEST_CASE("NVLink links down slow the ports of that GPU", "[emulator][faults]") {
  const auto healthy = prefill({});
  const auto faulty = prefill({"platform.faults.nvlink_degraded=[2]", "platform.faults.nvlink_degraded_factor=0.25"});
  CHECK(m(faulty, "wrong_deliveries") == 0);
  CHECK(m(faulty, "dispatch_us") > m(healthy, "dispatch_us"));
}

TEST_CASE("a straggler GPU stretches the layer", "[emulator][faults]") {
  auto run_layer = [](std::vector<std::string> sets) {
    sets.push_back("workload.deployment.tokens_per_gpu=256");
    EmulationOptions o;
    o.layers = 1;
    return emulate(workloads::load_run_configs({{config::ConfigKind::platform, "h800"},
                                                {config::ConfigKind::workload, "dsv3-prefill"}},
                                               sets),
                   o, false);
  };
  const auto healthy = run_layer({});
  const auto slow = run_layer({"platform.faults.stragglers=[5]", "platform.faults.straggler_slowdown=3"});
  CHECK(m(slow, "layer_us") > 1.5 * m(healthy, "layer_us"));
  // The straggler's attention runs three times as long (less the fixed launch cost), and the phase
  // lasts until its slowest GPU is done.
  CHECK(m(slow, "attention_us") >= 3 * (m(healthy, "attention_us") - 4) + 4 - 1e-6);
}

TEST_CASE("a full co-processor queue holds descriptors back", "[emulator][faults]") {
  // With 256 slots the queues still fill behind the NIC (the bottleneck) without costing throughput;
  // with a single slot every descriptor waits for the one before it to land.
  const auto roomy = prefill({}, "coprocessor");
  const auto tight = prefill({"proposal.coprocessor.command_queues=1", "proposal.coprocessor.queue_depth=1"}, "coprocessor");
  CHECK(m(tight, "coproc_queue_full_stalls") > m(roomy, "coproc_queue_full_stalls"));
  CHECK(m(tight, "dispatch_us") > 2 * m(roomy, "dispatch_us"));
  CHECK(m(tight, "wrong_deliveries") == 0);
}

TEST_CASE("faults that leave no way out, and runs past the watchdog, stop with a report", "[emulator][faults]") {
  CHECK_THROWS_WITH(prefill({"platform.faults.nic_down=[0,1,2,3,4,5,6,7]"}),
                    Catch::Contains("GPU 0 has no node peer with a working NIC"));
  CHECK_THROWS_WITH(prefill({"platform.faults.stragglers=[40]"}),
                    Catch::Contains("platform.faults.stragglers: GPU 40 does not exist"));
  CHECK_THROWS_WITH(prefill({"platform.emulation.watchdog_ms=0.05"}),
                    Catch::Contains("stopped by the watchdog") && Catch::Contains("gpu0 waits for"));
}

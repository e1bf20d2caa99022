// Functional mode: each micro-batch's co-processor programs run with real bytes on the ISA executor,
// over many seeds, both inter-node paths, baseline and co-processor; every token copy and every
// combined row is checked against a direct reference (isa/moe/moe_check.h), and the copies equal
// what the timing model delivered.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "emulator/emulate.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/traffic.h"

using namespace hwlab;
using namespace hwlab::emulator;

namespace {

workloads::RunConfigs small(const char* workload, std::vector<std::string> sets, const char* proposal) {
  sets.push_back("workload.model.hidden_size=64");
  std::vector<workloads::ConfigInput> in = {{config::ConfigKind::platform, "h800"},
                                            {config::ConfigKind::workload, workload}};
  if (proposal) in.push_back({config::ConfigKind::proposal, proposal});
  return workloads::load_run_configs(in, sets);
}

double m(const EmulationOutput& o, const char* key) { return o.result.metrics.at(key).get<double>(); }

// Token copies of `layers` layers, straight from the routing and placement (workloads/traffic.h).
double expected_copies(const workloads::WorkloadConfig& w, int layers) {
  const workloads::TokenRouter router(w);
  double copies = 0;
  for (int layer = 0; layer < layers; ++layer) {
    const workloads::ExpertLayout layout(w, router.history_loads(layer));
    for (int mb = 0; mb < w.deployment.micro_batches; ++mb)
      for (int64_t r : workloads::compute_traffic(w, layout, router.route_micro_batch(layer, mb)).tokens_received)
        copies += static_cast<double>(r);
  }
  return copies;
}

}  // namespace

TEST_CASE("functional mode: every token copy and combined row is right, over seeds and paths", "[emulator][functional]") {
  EmulationOptions o;
  o.functional = true;
  o.layers = 2;
  for (const char* path : {"nvlink-forwarding", "direct-ib"})
    for (const char* proposal : {static_cast<const char*>(nullptr), "coprocessor"})
      for (int seed = 1; seed <= 3; ++seed) {
        INFO(path << (proposal ? " coprocessor" : " SM baseline") << " seed " << seed);
        const auto run = small("dsv3-prefill",
                               {"workload.deployment.tokens_per_gpu=48", "workload.routing.seed=" + std::to_string(seed),
                                std::string("workload.deployment.internode_path=") + path},
                               proposal);
        const auto out = emulate(run, o, false);
        CHECK(m(out, "functional_phases") == 4);
        CHECK(m(out, "functional_wrong_copies") == 0);
        CHECK(m(out, "functional_wrong_combined_elements") == 0);
        CHECK(m(out, "functional_byte_mismatches") == 0);
        CHECK(m(out, "functional_combined_rows") == 4 * 32 * 48);
        CHECK(m(out, "functional_token_copies") == expected_copies(*run.workload, 2));
        CHECK(m(out, "wrong_deliveries") == 0);
        CHECK(m(out, "coproc_program_descriptors") > 0);
      }
}

TEST_CASE("functional mode on the decode deployment (EP320, direct IB, routed shared expert)", "[emulator][functional]") {
  EmulationOptions o;
  o.functional = true;
  o.layers = 1;
  const auto run = small("dsv3-decode", {"workload.deployment.tokens_per_gpu=4"}, "coprocessor");
  const auto out = emulate(run, o, false);
  CHECK(m(out, "functional_phases") == 2);
  CHECK(m(out, "functional_wrong_copies") == 0);
  CHECK(m(out, "functional_wrong_combined_elements") == 0);
  CHECK(m(out, "functional_token_copies") == expected_copies(*run.workload, 1));
}

TEST_CASE("functional mode refuses full hidden sizes with the key to shrink", "[emulator][functional][errors]") {
  EmulationOptions o;
  o.functional = true;
  o.layers = 1;
  const auto full = workloads::load_run_configs(
      {{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}}, {});
  CHECK_THROWS_AS(emulate(full, o, false), UserError);
  CHECK_THROWS_WITH(emulate(full, o, false), Catch::Contains("workload.model.hidden_size 7168 is above 1024"));
}

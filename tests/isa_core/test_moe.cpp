// The MoE program generator end to end, with real bytes: the executor runs the DISPATCH and COMBINE
// programs generated from a workload's routing; every token lands exactly where a direct reference
// says (every token-GPU pair once), the combined outputs equal the reference sum in the documented
// order bit for bit, and the NVLink/IB byte counters equal workloads/traffic.h's matrices.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "isa/executor.h"
#include "isa/moe/moe_check.h"
#include "isa/moe/moe_programs.h"
#include "isa/rows.h"
#include "tests/isa_core/isa_test_util.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/traffic.h"

using namespace hwlab;
using namespace hwlab::isa;
using namespace hwlab::workloads;

namespace {

WorkloadConfig preset_workload(const char* name) {
  return *load_run_configs({{config::ConfigKind::workload, name}}, {}).workload;
}

// 2 nodes x 2 GPUs, 4 experts (expert e on GPU e), top-2, as tests/workloads/test_traffic.cpp.
WorkloadConfig tiny(InternodePath path, int tokens) {
  WorkloadConfig w = preset_workload("dsv3-prefill");
  w.model.hidden_size = 64;
  w.model.routed_experts = 4;
  w.model.experts_per_token = 2;
  w.model.expert_groups = 2;
  w.model.max_groups_per_token = 2;
  w.deployment.nodes = 2;
  w.deployment.gpus_per_node = 2;
  w.deployment.attention_tp = 1;
  w.deployment.attention_dp = 4;
  w.deployment.expert_parallel = 4;
  w.deployment.redundant_experts = 0;
  w.deployment.micro_batches = 1;
  w.deployment.tokens_per_gpu = tokens;
  w.deployment.internode_path = path;
  w.placement.policy = PlacementPolicy::contiguous;
  return w;
}

ExpertPlacement identity(int experts) {
  ExpertPlacement p;
  p.num_layers = 1;
  p.num_logical = p.num_physical = experts;
  p.max_replicas = 1;
  p.phy2log = {{}};
  p.log2phy = {{}};
  p.logcnt = {std::vector<int>(static_cast<size_t>(experts), 1)};
  for (int e = 0; e < experts; ++e) {
    p.phy2log[0].push_back(e);
    p.log2phy[0].push_back({e});
  }
  return p;
}

// Every (top-2) expert pair of 4 experts, in turn.
std::vector<Routing> all_pairs(int gpus, int tokens) {
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      if (a != b) pairs.push_back({a, b});
  std::vector<Routing> out;
  size_t next = 0;
  for (int s = 0; s < gpus; ++s) {
    Routing r;
    r.num_tokens = tokens;
    r.top_k = 2;
    r.num_experts = 4;
    for (int t = 0; t < tokens; ++t, ++next) {
      r.experts.push_back(pairs[next % pairs.size()].first);
      r.experts.push_back(pairs[next % pairs.size()].second);
      r.weights.insert(r.weights.end(), {0.5f, 0.5f});
    }
    out.push_back(r);
  }
  return out;
}

void check_moe(const WorkloadConfig& w, const ExpertLayout& layout, const std::vector<Routing>& routing, uint64_t seed) {
  moe::MoeCheckOptions options;
  options.seed = seed;
  options.scan_strays = moe::MoeCheckOptions::Scan::always;
  const moe::MoeCheck c = moe::run_and_check_moe(w, layout, routing, options);
  INFO(c.summary());
  REQUIRE(c.ok());
  const MoeTraffic traffic = compute_traffic(w, layout, routing);
  const int G = w.deployment.gpus();
  REQUIRE(c.tokens == static_cast<int64_t>(G) * w.deployment.tokens_per_gpu);
  int64_t copies = 0;
  for (int64_t r : traffic.tokens_received) copies += r;
  REQUIRE(c.deliveries == copies);
  REQUIRE(c.combined_rows == c.tokens);
  REQUIRE(c.dispatch.by_instruction.at("DISPATCH").executed == static_cast<uint64_t>(G));
  REQUIRE(c.dispatch.by_instruction.at("SIGNAL").executed == static_cast<uint64_t>(G) * static_cast<uint64_t>(G));
  // Counters of every transfer = payload pairs + SIGNAL's 8-byte counter updates.
  uint64_t payload_nvlink = 0, sync_nvlink = 0;
  for (const auto& [ends, bytes] : c.dispatch.data_pairs[1]) payload_nvlink += bytes;
  for (const auto& [ends, bytes] : c.dispatch.sync_pairs[1]) sync_nvlink += bytes;
  REQUIRE(payload_nvlink == traffic.dispatch_nvlink.total());
  REQUIRE(c.dispatch.bytes[1] == payload_nvlink + sync_nvlink);
}

}  // namespace

TEST_CASE("MoE programs on 2 nodes x 2 GPUs, every expert pair, both inter-node paths", "[isa][moe]") {
  for (InternodePath path : {InternodePath::nvlink_forwarding, InternodePath::direct_ib}) {
    const WorkloadConfig w = tiny(path, 12);
    const ExpertLayout layout(w, identity(4));
    check_moe(w, layout, all_pairs(4, 12), 1);
  }
}

TEST_CASE("MoE programs of dsv3-prefill (forwarding) and dsv3-decode (direct IB, routed shared expert), "
          "shrunk in tokens",
          "[isa][moe]") {
  struct Case {
    const char* preset;
    int tokens;
  };
  for (const Case& c : {Case{"dsv3-prefill", 6}, Case{"dsv3-decode", 2}}) {
    INFO(c.preset);
    WorkloadConfig w = preset_workload(c.preset);
    w.model.hidden_size = 64;
    w.deployment.tokens_per_gpu = c.tokens;
    const TokenRouter router(w);
    const ExpertLayout layout(w, router.history_loads(0));
    check_moe(w, layout, router.route_micro_batch(0, 0), 2);
  }
}

TEST_CASE("a MoE program cannot step outside its windows", "[isa][moe]") {
  const WorkloadConfig w = tiny(InternodePath::nvlink_forwarding, 2);
  const ExpertLayout layout(w, identity(4));
  moe::MoePrograms m = moe::generate_moe_programs(w, layout, all_pairs(4, 2));
  Memory memory;
  apply(m.image, memory);
  // Without its write window on n1.g0's receive rows (its second token goes to experts 0 and 2), n0.g0's dispatch fails at the FORWARD or
  // MULTICAST that needs it, naming the queue.
  std::vector<Window> windows;
  for (const Window& x : m.image.windows)
    if (!(x.queue == QueueId{{0, 0}, 0} && x.gpu == GpuId{1, 0} && x.offset == m.layout.received)) windows.push_back(x);
  REQUIRE(windows.size() + 1 == m.image.windows.size());
  Executor e(memory, windows);
  CHECK_THROWS_WITH(e.run(m.dispatch), Catch::Matchers::Contains("queue n0.g0.q0: ") &&
                                           Catch::Matchers::Contains("(expanded from DISPATCH at descriptor 1)") &&
                                           Catch::Matchers::Contains("outside the queue's write windows"));
}

TEST_CASE("the MoE check sees a corrupt, a stray and a lost token copy", "[isa][moe]") {
  const WorkloadConfig w = tiny(InternodePath::nvlink_forwarding, 4);
  const ExpertLayout layout(w, identity(4));
  const auto routing = all_pairs(4, 4);
  const moe::MoeCheck clean = moe::run_and_check_moe(w, layout, routing);
  REQUIRE(clean.ok());
  // Token 0 of GPU 0 goes to experts 0 and 1 (GPUs 0 and 1): flip one byte of GPU 1's copy, put a
  // copy on GPU 3, which should not have one, and wipe GPU 0's own copy.
  for (int what = 0; what < 3; ++what) {
    moe::MoeCheckOptions options;
    options.scan_strays = moe::MoeCheckOptions::Scan::always;
    options.after_dispatch = [what](Memory& memory, const moe::MoePrograms& m) {
      const uint64_t at = m.layout.received;  // slot 0
      const GpuId target = what == 0 ? moe::gpu_id(1, 2) : what == 1 ? moe::gpu_id(3, 2) : moe::gpu_id(0, 2);
      std::vector<uint8_t> row = memory.read(moe::gpu_id(1, 2), at, m.dispatch_row_bytes);
      if (what == 0) row[3] ^= 0x10;
      if (what == 2) row.assign(row.size(), 0);
      memory.write(target, at, row);
    };
    const moe::MoeCheck c = moe::run_and_check_moe(w, layout, routing, options);
    INFO(what << ": " << c.summary());
    CHECK(c.wrong_deliveries == 1);
    CHECK_FALSE(c.ok());
  }
}

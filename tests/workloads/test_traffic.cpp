#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "workloads/expert_layout.h"
#include "workloads/run_configs.h"
#include "workloads/token_router.h"
#include "workloads/traffic.h"

using namespace hwlab;
using namespace hwlab::workloads;

namespace {

WorkloadConfig preset(const char* name) {
  return *load_run_configs({{config::ConfigKind::workload, name}}, {}).workload;
}

// 2 nodes x 2 GPUs, 4 experts (one per GPU, expert e on GPU e), top-2, hidden 128:
// dispatch 128 + 4 = 132 bytes per token, combine 256.
WorkloadConfig tiny(InternodePath path) {
  WorkloadConfig w = preset("dsv3-prefill");
  w.model.hidden_size = 128;
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
  w.deployment.tokens_per_gpu = 1;
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

// One token per GPU, with the given expert pairs.
std::vector<Routing> one_token_each(const std::vector<std::pair<int, int>>& experts) {
  std::vector<Routing> out;
  for (auto [a, b] : experts) {
    Routing r;
    r.num_tokens = 1;
    r.top_k = 2;
    r.num_experts = 4;
    r.experts = {a, b};
    r.weights = {0.5f, 0.5f};
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("traffic of a hand-computed case with IB->NVLink forwarding", "[traffic]") {
  const WorkloadConfig w = tiny(InternodePath::nvlink_forwarding);
  const ExpertLayout layout(w, identity(4));
  // GPU0 -> experts {1,3}; GPU1 -> {1,0}; GPU2 -> {2,3}; GPU3 -> {0,1}.
  const MoeTraffic t = compute_traffic(w, layout, one_token_each({{1, 3}, {1, 0}, {2, 3}, {0, 1}}));
  const uint64_t D = 132, C = 256;
  // GPU0's token: NVLink 0->1; IB 0->2 (GPU2 forwards, same in-node index 0); NVLink 2->3.
  // GPU1's token: local on 1; NVLink 1->0.
  // GPU2's token: local on 2; NVLink 2->3.
  // GPU3's token: IB once 3->1 (in-node index 1 on node 0), which keeps a copy and forwards 1->0.
  CHECK(t.dispatch_nvlink.at(0, 1) == D);
  CHECK(t.dispatch_ib.at(0, 2) == D);
  CHECK(t.dispatch_nvlink.at(2, 3) == 2 * D);
  CHECK(t.dispatch_nvlink.at(1, 0) == 2 * D);
  CHECK(t.dispatch_ib.at(3, 1) == D);
  CHECK(t.dispatch_ib.total() == 2 * D);
  CHECK(t.dispatch_nvlink.total() == 5 * D);
  CHECK(t.dispatch_local_bytes == std::vector<uint64_t>{0, D, D, 0});
  // Combine mirrors dispatch with BF16 payloads.
  CHECK(t.combine_ib.at(2, 0) == C);
  CHECK(t.combine_ib.at(1, 3) == C);
  CHECK(t.combine_nvlink.at(3, 2) == 2 * C);
  CHECK(t.combine_nvlink.total() == 5 * C);
  CHECK(t.tokens_received == std::vector<int64_t>{2, 3, 1, 2});
  // GPU0's token reaches both nodes; the others one node each (GPU2's token: GPUs 2 and 3, node 1).
  CHECK(t.nodes_per_token == std::vector<int64_t>{0, 3, 1});
}

TEST_CASE("traffic of a hand-computed case with direct IB", "[traffic]") {
  const WorkloadConfig w = tiny(InternodePath::direct_ib);
  const ExpertLayout layout(w, identity(4));
  const MoeTraffic t = compute_traffic(w, layout, one_token_each({{2, 3}, {0, 1}, {2, 3}, {0, 1}}));
  const uint64_t D = 132;
  // GPU0's token crosses IB twice, once per remote GPU; GPU3's token twice to node 0.
  CHECK(t.dispatch_ib.at(0, 2) == D);
  CHECK(t.dispatch_ib.at(0, 3) == D);
  CHECK(t.dispatch_ib.at(3, 0) == D);
  CHECK(t.dispatch_ib.at(3, 1) == D);
  CHECK(t.dispatch_ib.total() == 4 * D);
  CHECK(t.dispatch_nvlink.total() == 2 * D);  // GPU1 -> 0 and GPU2 -> 3
}

TEST_CASE("a GPU hosting two of a token's experts receives it once", "[traffic]") {
  WorkloadConfig w = tiny(InternodePath::nvlink_forwarding);
  w.model.routed_experts = 8;
  w.model.expert_groups = 2;
  ExpertPlacement p = identity(8);  // two slots per GPU: experts 2g and 2g+1 on GPU g
  const ExpertLayout layout(w, p);
  std::vector<Routing> routing = one_token_each({{0, 1}, {0, 1}, {0, 1}, {6, 7}});
  for (auto& r : routing) r.num_experts = 8;
  const MoeTraffic t = compute_traffic(w, layout, routing);
  CHECK(t.tokens_received == std::vector<int64_t>{3, 0, 0, 1});
  CHECK(t.expert_computations == std::vector<int64_t>{6, 0, 0, 2});
  CHECK(t.dispatch_nvlink.at(1, 0) == 132);
  CHECK(t.dispatch_ib.at(2, 0) == 132);
  CHECK(t.dispatch_nvlink.at(3, 2) == 0);  // GPU3's token stays on GPU3
}

namespace {

// Conservation over a whole micro-batch: every token-expert pair is computed exactly once, every
// byte of combine retraces a byte of dispatch, and the IB dedup holds.
void check_conservation(const WorkloadConfig& w, int layer, int micro_batch) {
  TokenRouter router(w);
  const ExpertLayout layout(w, router.history_loads(layer));
  const auto routing = router.route_micro_batch(layer, micro_batch);
  const MoeTraffic t = compute_traffic(w, layout, routing);
  const int64_t tokens = static_cast<int64_t>(w.deployment.gpus()) * w.deployment.tokens_per_gpu;
  const bool shared_routed = w.deployment.shared_expert == SharedExpertMode::routed;
  CHECK(t.tokens == tokens);

  int64_t pairs = 0;
  for (auto c : t.expert_computations) pairs += c;
  CHECK(pairs == tokens * (w.model.experts_per_token + (shared_routed ? 1 : 0)));
  int64_t slot_sum = 0;
  for (auto s : t.slot_tokens) slot_sum += s;
  CHECK(slot_sum == tokens * w.model.experts_per_token);

  const uint64_t D = static_cast<uint64_t>(t.dispatch_bytes_per_token);
  const uint64_t C = static_cast<uint64_t>(t.combine_bytes_per_token);
  bool mirrored = true;
  for (int s = 0; s < t.gpus; ++s)
    for (int d = 0; d < t.gpus; ++d) {
      mirrored = mirrored && t.dispatch_ib.at(s, d) / D * C == t.combine_ib.at(d, s);
      mirrored = mirrored && t.dispatch_nvlink.at(s, d) / D * C == t.combine_nvlink.at(d, s);
      mirrored = mirrored && t.dispatch_ib.at(s, d) % D == 0;
      // IB only ever joins different nodes.
      mirrored = mirrored && (s / t.gpus_per_node != d / t.gpus_per_node || t.dispatch_ib.at(s, d) == 0);
      mirrored = mirrored && (s / t.gpus_per_node == d / t.gpus_per_node || t.dispatch_nvlink.at(s, d) == 0);
    }
  CHECK(mirrored);

  // Recount from the routing: distinct destination GPUs and nodes of every token.
  uint64_t ib_crossings = 0, delivered = 0;
  for (int g = 0; g < w.deployment.gpus(); ++g) {
    const Routing& r = routing[static_cast<size_t>(g)];
    for (int tok = 0; tok < r.num_tokens; ++tok) {
      const int64_t global = static_cast<int64_t>(g) * r.num_tokens + tok;
      std::set<int> gpus, nodes;
      for (int j = 0; j < r.top_k; ++j) gpus.insert(layout.gpu_of_slot(layout.target_slot(r.expert(tok, j), g, global)));
      if (shared_routed) gpus.insert(layout.shared_expert_gpu(g, global));
      for (int d : gpus)
        if (layout.node_of(d) != layout.node_of(g)) nodes.insert(layout.node_of(d));
      delivered += gpus.size();
      if (w.deployment.internode_path == InternodePath::nvlink_forwarding) ib_crossings += nodes.size();
      else
        for (int d : gpus) ib_crossings += layout.node_of(d) != layout.node_of(g) ? 1 : 0;
    }
  }
  CHECK(t.dispatch_ib.total() == ib_crossings * D);
  int64_t received = 0;
  for (auto r : t.tokens_received) received += r;
  CHECK(static_cast<uint64_t>(received) == delivered);
}

}  // namespace

TEST_CASE("traffic conservation on the DeepSeek-V3 prefill and decode presets", "[traffic]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    WorkloadConfig prefill = preset("dsv3-prefill");
    prefill.routing.seed = seed;
    prefill.deployment.tokens_per_gpu = 512;
    check_conservation(prefill, 0, 1);
    WorkloadConfig decode = preset("dsv3-decode");
    decode.routing.seed = seed;
    check_conservation(decode, 3, 0);
  }
}

TEST_CASE("node-limited routing reaches at most M nodes when groups map to nodes", "[traffic]") {
  // 8 nodes x 4 GPUs, 8 expert groups: hierarchical EPLB keeps each group on one node.
  WorkloadConfig w = preset("dsv3-prefill");
  w.deployment.nodes = 8;
  w.deployment.gpus_per_node = 4;
  w.deployment.tokens_per_gpu = 256;
  w.routing.popularity = Popularity::hot_experts;
  TokenRouter router(w);
  const ExpertLayout layout(w, router.history_loads(0));
  REQUIRE(layout.placement().policy == EplbPolicy::hierarchical);
  const MoeTraffic t = compute_traffic(w, layout, router.route_micro_batch(0, 0));
  int64_t within = 0;
  for (int n = 0; n <= 4; ++n) within += t.nodes_per_token[static_cast<size_t>(n)];
  CHECK(within == t.tokens);
  CHECK(t.nodes_per_token[4] > 0);  // and the limit is reached
}

TEST_CASE("replicas on the sender's node are preferred, others share the load", "[traffic]") {
  const WorkloadConfig w = preset("dsv3-decode");
  TokenRouter router(w);
  const ExpertLayout layout(w, router.history_loads(0));
  const auto& counts = layout.placement().logcnt[0];
  int replicated = -1;
  for (size_t e = 0; e < counts.size() && replicated < 0; ++e)
    if (counts[e] >= 2) replicated = static_cast<int>(e);
  REQUIRE(replicated >= 0);
  std::set<int> nodes_of_replicas, seen;
  for (int slot : layout.placement().log2phy[0][static_cast<size_t>(replicated)])
    if (slot >= 0) nodes_of_replicas.insert(layout.node_of(layout.gpu_of_slot(slot)));
  for (int source = 0; source < w.deployment.gpus(); ++source) {
    const int gpu = layout.gpu_of_slot(layout.target_slot(replicated, source, source));
    if (nodes_of_replicas.count(layout.node_of(source))) CHECK(layout.node_of(gpu) == layout.node_of(source));
    else seen.insert(gpu);
  }
  CHECK(seen.size() == static_cast<size_t>(counts[static_cast<size_t>(replicated)]));
}

TEST_CASE("the replica rule, written out, picks what the layout picks", "[traffic]") {
  // The rule of ExpertLayout::target_slot / shared_expert_gpu by a scan of the candidates (the
  // layout precomputes each node's run): the candidates on the sender's node if there are any,
  // otherwise all of them; among those the (token mod count)-th.
  for (const char* name : {"dsv3-decode", "dsv3-prefill"}) {
    const WorkloadConfig w = preset(name);
    TokenRouter router(w);
    const ExpertLayout layout(w, router.history_loads(0));
    auto by_rule = [&](const std::vector<int>& candidates, auto gpu_of, int source, int64_t token) {
      std::vector<int> near;
      for (int c : candidates)
        if (layout.node_of(gpu_of(c)) == layout.node_of(source)) near.push_back(c);
      const std::vector<int>& pool = near.empty() ? candidates : near;
      return pool[static_cast<size_t>(token % static_cast<int64_t>(pool.size()))];
    };
    std::vector<std::vector<int>> replicas(static_cast<size_t>(w.model.routed_experts));
    const auto& phy2log = layout.placement().phy2log[0];
    for (size_t slot = 0; slot < phy2log.size(); ++slot) replicas[static_cast<size_t>(phy2log[slot])].push_back(static_cast<int>(slot));
    std::vector<int> shared;
    for (int g = layout.first_shared_gpu(); g < layout.gpus(); ++g) shared.push_back(g);
    int wrong = 0, checked = 0;
    for (int source = 0; source < layout.gpus(); source += 3)
      for (int64_t token : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{1000003}}) {
        for (int e = 0; e < w.model.routed_experts; ++e, ++checked)
          wrong += layout.target_slot(e, source, token) !=
                   by_rule(replicas[static_cast<size_t>(e)], [&](int slot) { return layout.gpu_of_slot(slot); }, source, token);
        if (!shared.empty())
          wrong += layout.shared_expert_gpu(source, token) != by_rule(shared, [](int gpu) { return gpu; }, source, token);
      }
    INFO(name << ": " << checked << " picks");
    CHECK(wrong == 0);
  }
}

TEST_CASE("a routed token goes to target_slot's slots, on their GPUs", "[traffic]") {
  // route_token() looks the picks up itself (no node division per expert); it must agree with
  // target_slot(), gpu_of_slot() and shared_expert_gpu() for every token.
  for (const char* name : {"dsv3-decode", "dsv3-prefill"}) {
    const WorkloadConfig w = preset(name);
    TokenRouter router(w);
    const ExpertLayout layout(w, router.history_loads(0));
    const std::vector<Routing> batch = router.route_micro_batch(0, 0);
    TokenRoute route;
    int wrong = 0, checked = 0;
    for (int source = 0; source < layout.gpus(); source += 5) {
      const Routing& r = batch[static_cast<size_t>(source)];
      for (int t = 0; t < r.num_tokens; t += 7, ++checked) {
        const int64_t global = static_cast<int64_t>(source) * r.num_tokens + t;
        layout.route_token(&r.experts[static_cast<size_t>(t) * r.top_k], r.top_k, source, global, route);
        std::set<int> gpus;
        for (int j = 0; j < r.top_k; ++j) {
          const int slot = layout.target_slot(r.expert(t, j), source, global);
          wrong += route.slots[static_cast<size_t>(j)] != slot;
          wrong += route.slot_gpus[static_cast<size_t>(j)] != layout.gpu_of_slot(slot);
          gpus.insert(layout.gpu_of_slot(slot));
        }
        const int shared = layout.first_shared_gpu() < layout.gpus() ? layout.shared_expert_gpu(source, global) : -1;
        wrong += route.shared_gpu != shared;
        if (shared >= 0) gpus.insert(shared);
        std::vector<int> named = route.gpus;  // distinct, in slot order
        std::sort(named.begin(), named.end());
        wrong += named != std::vector<int>(gpus.begin(), gpus.end());  // a repeated GPU makes it longer
      }
    }
    INFO(name << ": " << checked << " tokens");
    CHECK(checked > 100);
    CHECK(wrong == 0);
  }
}

TEST_CASE("same seed, same traffic; another seed, other traffic", "[traffic]") {
  WorkloadConfig w = preset("dsv3-decode");
  auto run = [&] {
    TokenRouter router(w);
    const ExpertLayout layout(w, router.history_loads(1));
    return compute_traffic(w, layout, router.route_micro_batch(1, 1));
  };
  const MoeTraffic a = run(), b = run();
  CHECK(a.slot_tokens == b.slot_tokens);
  CHECK(a.dispatch_ib.total() == b.dispatch_ib.total());
  w.routing.seed = 99;
  CHECK(run().slot_tokens != a.slot_tokens);
}

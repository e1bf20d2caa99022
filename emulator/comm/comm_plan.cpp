#include "emulator/comm/comm_plan.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"

namespace hwlab::emulator {

int PhasePlan::window_size(int tokens, int w) const {
  return std::min(window_tokens, tokens - w * window_tokens);
}

PhasePlan build_phase_plan(const workloads::WorkloadConfig& w, const workloads::ExpertLayout& layout,
                           const std::vector<workloads::Routing>& tokens_by_gpu, int chunk_bytes) {
  using workloads::InternodePath;
  const int gpus = w.deployment.gpus(), per_node = w.deployment.gpus_per_node;
  if (static_cast<int>(tokens_by_gpu.size()) != gpus) throw UserError("routing does not cover every GPU");
  if (per_node > 16) throw UserError("the emulator supports at most 16 GPUs per node");
  PhasePlan p;
  p.gpus = gpus;
  p.gpus_per_node = per_node;
  p.dispatch_bytes_per_token = w.model.dispatch_bytes_per_token();
  p.combine_bytes_per_token = w.model.combine_bytes_per_token();
  p.window_tokens = std::max<int>(1, static_cast<int>(chunk_bytes / p.dispatch_bytes_per_token));
  const auto G = static_cast<size_t>(gpus);
  p.nvlink_out.assign(G, {});
  p.direct_out.assign(G, {});
  p.node_out.assign(G, {});
  p.nvlink_in.assign(G, {});
  p.direct_in.assign(G, {});
  p.contributions.assign(G, {});
  p.local_tokens.assign(G, 0);
  p.dispatch_expected.assign(G, 0);
  p.combine_expected.assign(G, 0);
  p.slot_tokens.assign(G, std::vector<int>(static_cast<size_t>(layout.slots_per_gpu()), 0));
  p.shared_tokens.assign(G, 0);

  const bool forwarding = w.deployment.internode_path == InternodePath::nvlink_forwarding;
  const int nodes = w.deployment.nodes;

  std::vector<int> peer_tokens(G);
  workloads::TokenRoute route;
  std::vector<std::vector<uint16_t>> node_masks(static_cast<size_t>(nodes));
  std::vector<uint16_t> token_mask(static_cast<size_t>(nodes));
  for (int s = 0; s < gpus; ++s) {
    const auto& r = tokens_by_gpu[static_cast<size_t>(s)];
    const int src_node = layout.node_of(s), src_local = s % per_node;
    std::fill(peer_tokens.begin(), peer_tokens.end(), 0);
    for (auto& m : node_masks) m.clear();
    for (int t = 0; t < r.num_tokens; ++t) {
      const int64_t global = static_cast<int64_t>(s) * r.num_tokens + t;
      layout.route_token(&r.experts[static_cast<size_t>(t) * r.top_k], r.top_k, s, global, route);
      for (size_t j = 0; j < route.slots.size(); ++j) {
        const int gpu = route.slot_gpus[j];
        ++p.slot_tokens[static_cast<size_t>(gpu)][static_cast<size_t>(route.slots[j] - gpu * layout.slots_per_gpu())];
      }
      ++p.shared_tokens[static_cast<size_t>(route.shared_gpu >= 0 ? route.shared_gpu : s)];
      const std::vector<int>& targets = route.gpus;
      std::fill(token_mask.begin(), token_mask.end(), 0);
      for (int d : targets) {
        const int n = layout.node_of(d);
        if (d == s) ++p.local_tokens[static_cast<size_t>(s)];
        else if (n == src_node || !forwarding) ++peer_tokens[static_cast<size_t>(d)];
        else token_mask[static_cast<size_t>(n)] = static_cast<uint16_t>(token_mask[static_cast<size_t>(n)] | (1u << (d % per_node)));
      }
      if (forwarding)
        for (int n = 0; n < nodes; ++n)
          if (token_mask[static_cast<size_t>(n)]) node_masks[static_cast<size_t>(n)].push_back(token_mask[static_cast<size_t>(n)]);
    }
    for (int d = 0; d < gpus; ++d) {
      const int tokens = peer_tokens[static_cast<size_t>(d)];
      if (tokens == 0) continue;
      const bool same_node = layout.node_of(d) == src_node;
      auto& streams = same_node ? p.nvlink_streams : p.direct_streams;
      (same_node ? p.nvlink_out : p.direct_out)[static_cast<size_t>(s)].push_back(static_cast<int>(streams.size()));
      (same_node ? p.nvlink_in : p.direct_in)[static_cast<size_t>(d)].push_back(static_cast<int>(streams.size()));
      streams.push_back({s, d, tokens});
      p.dispatch_expected[static_cast<size_t>(d)] += tokens;
      p.combine_expected[static_cast<size_t>(s)] += tokens;
    }
    for (int n = 0; n < nodes; ++n) {
      auto& masks = node_masks[static_cast<size_t>(n)];
      if (masks.empty()) continue;
      const int index = static_cast<int>(p.node_streams.size());
      p.node_out[static_cast<size_t>(s)].push_back(index);
      NodeStream ns{s, n, n * per_node + src_local, std::move(masks)};
      masks = {};
      for (uint16_t m : ns.masks)
        for (int j = 0; j < per_node; ++j)
          if (m & (1u << j)) ++p.dispatch_expected[static_cast<size_t>(n * per_node + j)];
      p.combine_expected[static_cast<size_t>(s)] += ns.tokens();
      p.node_streams.push_back(std::move(ns));
    }
  }

  // Combine contributions of forwarded windows: who returns sums for which window.
  p.window_base.reserve(p.node_streams.size());
  for (size_t i = 0; i < p.node_streams.size(); ++i) {
    const NodeStream& ns = p.node_streams[i];
    p.window_base.push_back(static_cast<int>(p.window_contributors.size()));
    for (int wdw = 0; wdw < p.windows(ns.tokens()); ++wdw) {
      int counts[16] = {};
      const int first = wdw * p.window_tokens, last = first + p.window_size(ns.tokens(), wdw);
      for (int t = first; t < last; ++t)
        for (int j = 0; j < per_node; ++j)
          if (ns.masks[static_cast<size_t>(t)] & (1u << j)) ++counts[j];
      std::vector<int> contributors;
      for (int j = 0; j < per_node; ++j) {
        if (counts[j] == 0) continue;
        const int gpu = ns.node * per_node + j;
        contributors.push_back(gpu);
        p.contributions[static_cast<size_t>(gpu)].push_back({static_cast<int>(i), wdw, counts[j]});
      }
      p.window_contributors.push_back(std::move(contributors));
    }
  }
  return p;
}

PhasePlan build_collective_plan(const std::vector<uint64_t>& send_counts, int gpus, int per_node, int element_bytes,
                                int chunk_bytes) {
  PhasePlan p;
  p.gpus = gpus;
  p.gpus_per_node = per_node;
  p.dispatch_bytes_per_token = element_bytes;
  p.combine_bytes_per_token = element_bytes;
  p.window_tokens = std::max(1, chunk_bytes / element_bytes);
  const auto G = static_cast<size_t>(gpus);
  p.nvlink_out.assign(G, {});
  p.direct_out.assign(G, {});
  p.node_out.assign(G, {});
  p.nvlink_in.assign(G, {});
  p.direct_in.assign(G, {});
  p.contributions.assign(G, {});
  p.local_tokens.assign(G, 0);
  p.dispatch_expected.assign(G, 0);
  p.combine_expected.assign(G, 0);
  p.slot_tokens.assign(G, {});
  p.shared_tokens.assign(G, 0);
  // Exact sizes first: at thousands of GPUs the stream lists hold G^2 entries, and growing them by
  // doubling would copy gigabytes and hold two copies at once.
  {
    std::vector<size_t> in_nvl(G, 0), in_ib(G, 0);
    size_t nvl = 0, ib = 0;
    for (int s = 0; s < gpus; ++s) {
      size_t out_nvl = 0, out_ib = 0;
      for (int d = 0; d < gpus; ++d) {
        if (s == d || send_counts[static_cast<size_t>(s) * G + static_cast<size_t>(d)] == 0) continue;
        const bool same_node = s / per_node == d / per_node;
        ++(same_node ? out_nvl : out_ib);
        ++(same_node ? in_nvl : in_ib)[static_cast<size_t>(d)];
      }
      p.nvlink_out[static_cast<size_t>(s)].reserve(out_nvl);
      p.direct_out[static_cast<size_t>(s)].reserve(out_ib);
      nvl += out_nvl;
      ib += out_ib;
    }
    for (size_t d = 0; d < G; ++d) {
      p.nvlink_in[d].reserve(in_nvl[d]);
      p.direct_in[d].reserve(in_ib[d]);
    }
    p.nvlink_streams.reserve(nvl);
    p.direct_streams.reserve(ib);
  }
  for (int s = 0; s < gpus; ++s)
    for (int d = 0; d < gpus; ++d) {
      const uint64_t count = send_counts[static_cast<size_t>(s) * G + static_cast<size_t>(d)];
      if (count > static_cast<uint64_t>(INT32_MAX)) throw UserError("collective: more than 2^31 elements to one peer");
      if (s == d) {
        p.local_tokens[static_cast<size_t>(s)] += static_cast<int64_t>(count);
        continue;
      }
      if (count == 0) continue;
      const bool same_node = s / per_node == d / per_node;
      auto& streams = same_node ? p.nvlink_streams : p.direct_streams;
      (same_node ? p.nvlink_out : p.direct_out)[static_cast<size_t>(s)].push_back(static_cast<int>(streams.size()));
      (same_node ? p.nvlink_in : p.direct_in)[static_cast<size_t>(d)].push_back(static_cast<int>(streams.size()));
      streams.push_back({s, d, static_cast<int>(count)});
      p.dispatch_expected[static_cast<size_t>(d)] += static_cast<int64_t>(count);
    }
  return p;
}

}  // namespace hwlab::emulator

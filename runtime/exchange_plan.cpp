#include "runtime/exchange_plan.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "kernels/payload.h"
#include "workloads/traffic.h"

namespace hwlab::runtime {

using kernels::kMaxTokenSlots;
using kernels::TokenMeta;
using workloads::Routing;

namespace {

// The rows of one (source rank, destination rank) pair, in token order.
struct PairRows {
  std::vector<TokenMeta> meta;
};

TokenMeta empty_meta(int src_rank, int token) {
  TokenMeta m;
  std::memset(&m, 0, sizeof(m));
  m.src_rank = src_rank;
  m.token = token;
  for (int i = 0; i < kMaxTokenSlots; ++i) m.slot[i] = -1;
  return m;
}

int32_t checked_row(int64_t row, int gpu) {
  if (row > INT32_MAX)
    throw UserError(fmt::format("GPU {} would hold more than 2^31 token rows; use fewer tokens per GPU or more GPUs", gpu));
  return static_cast<int32_t>(row);
}

// Counting sort of `keys` (each in [0, buckets)) into CSR offsets and a stable order.
void stable_buckets(const std::vector<int32_t>& keys, int64_t buckets, std::vector<int64_t>& offset,
                    std::vector<int64_t>& order) {
  offset.assign(static_cast<size_t>(buckets) + 1, 0);
  for (int32_t k : keys) ++offset[static_cast<size_t>(k) + 1];
  for (size_t i = 1; i < offset.size(); ++i) offset[i] += offset[i - 1];
  std::vector<int64_t> next(offset.begin(), offset.end() - 1);
  order.assign(keys.size(), 0);
  for (size_t i = 0; i < keys.size(); ++i) order[static_cast<size_t>(next[static_cast<size_t>(keys[i])]++)] = static_cast<int64_t>(i);
}

}  // namespace

ExchangePlan build_exchange_plan(const workloads::WorkloadConfig& w, const workloads::ExpertLayout& layout,
                                 const std::vector<Routing>& tokens_by_rank, int physical_gpus) {
  const int G = w.deployment.gpus();
  const int T = w.deployment.tokens_per_gpu;
  if (physical_gpus < 1 || physical_gpus > G)
    throw UserError(fmt::format("{} GPUs for a deployment of {} ranks: expected 1 to {}", physical_gpus, G, G));
  if (w.model.hidden_size % kernels::kScaleBlockChannels != 0 || w.model.dispatch_scale_block != kernels::kScaleBlockChannels ||
      w.model.dispatch_dtype != workloads::DispatchDtype::fp8_e4m3)
    throw UserError(fmt::format("the GPU kernels move FP8 E4M3 rows with one scale per 128 channels and a hidden size "
                                "that is a multiple of 128; the model has {} {} channels, scale block {}",
                                w.model.hidden_size,
                                config::choice_name(workloads::dispatch_dtype_choices(), w.model.dispatch_dtype),
                                w.model.dispatch_scale_block));
  const bool shared_routed = w.deployment.shared_expert == workloads::SharedExpertMode::routed;
  if (w.model.experts_per_token + (shared_routed ? 1 : 0) > kMaxTokenSlots)
    throw UserError(fmt::format("top-{} routing{} exceeds the {} expert slots a dispatched token carries",
                                w.model.experts_per_token, shared_routed ? " plus a routed shared expert" : "",
                                kMaxTokenSlots));
  if (static_cast<int>(tokens_by_rank.size()) != G)
    throw UserError(fmt::format("routing for {} ranks, the deployment has {}", tokens_by_rank.size(), G));

  ExchangePlan plan;
  plan.fold = FoldMap(G, physical_gpus);
  plan.hidden = w.model.hidden_size;
  plan.tokens_per_rank = T;
  plan.top_k = w.model.experts_per_token;
  const int spg = layout.slots_per_gpu();
  plan.slots_per_rank = spg + (shared_routed ? 1 : 0);
  plan.shared_slot = shared_routed ? spg : -1;
  plan.dispatch_row_bytes = w.model.dispatch_bytes_per_token();
  plan.combine_row_bytes = w.model.combine_bytes_per_token();
  const int L = plan.slots_per_rank;
  const FoldMap& fold = plan.fold;
  const int P = physical_gpus;

  // 1. The rows of every (s, d) pair, in token order, with the slots and weights d must apply.
  std::vector<PairRows> pairs(static_cast<size_t>(G) * G);
  std::vector<TokenMeta> by_rank(static_cast<size_t>(G));
  std::vector<int> touched;
  for (int s = 0; s < G; ++s) {
    const Routing& r = tokens_by_rank[static_cast<size_t>(s)];
    if (r.num_tokens != T || r.top_k != w.model.experts_per_token)
      throw UserError(fmt::format("routing of rank {}: {} tokens of top-{}, expected {} of top-{}", s, r.num_tokens,
                                  r.top_k, T, w.model.experts_per_token));
    for (int t = 0; t < T; ++t) {
      const int64_t global = static_cast<int64_t>(s) * T + t;
      touched.clear();
      auto add = [&](int d, int slot, float weight) {
        TokenMeta& m = by_rank[static_cast<size_t>(d)];
        if (std::find(touched.begin(), touched.end(), d) == touched.end()) {
          touched.push_back(d);
          m = empty_meta(s, t);
        }
        int k = 0;
        while (m.slot[k] >= 0) ++k;
        m.slot[k] = slot;
        m.weight[k] = weight;
      };
      for (int j = 0; j < r.top_k; ++j) {
        const int slot = layout.target_slot(r.expert(t, j), s, global);
        add(layout.gpu_of_slot(slot), slot % spg, r.weight(t, j));
      }
      if (shared_routed) add(layout.shared_expert_gpu(s, global), plan.shared_slot, 1.0f);
      for (int d : touched) pairs[static_cast<size_t>(s) * G + d].meta.push_back(by_rank[static_cast<size_t>(d)]);
    }
  }

  // 2. Send order on each GPU p: (q, d, s, t); the receive order on q is the same per block.
  plan.gpus.resize(static_cast<size_t>(P));
  for (int p = 0; p < P; ++p) {
    GpuExchange& g = plan.gpus[static_cast<size_t>(p)];
    g.gpu = p;
    g.first_rank = fold.first_rank(p);
    g.num_ranks = fold.ranks_on(p);
    g.send_offset.assign(static_cast<size_t>(P), 0);
    g.send_rows.assign(static_cast<size_t>(P), 0);
    for (int q = 0; q < P; ++q) {
      g.send_offset[static_cast<size_t>(q)] = static_cast<int64_t>(g.send_meta.size());
      for (int d = fold.first_rank(q); d < fold.first_rank(q + 1); ++d)
        for (int s = g.first_rank; s < g.first_rank + g.num_ranks; ++s)
          for (const TokenMeta& m : pairs[static_cast<size_t>(s) * G + d].meta) {
            g.send_meta.push_back(m);
            g.send_x_row.push_back(checked_row(static_cast<int64_t>(s - g.first_rank) * T + m.token, p));
          }
      g.send_rows[static_cast<size_t>(q)] = static_cast<int64_t>(g.send_meta.size()) - g.send_offset[static_cast<size_t>(q)];
    }
    g.total_send_rows = static_cast<int64_t>(g.send_meta.size());
    checked_row(g.total_send_rows, p);
  }
  for (int q = 0; q < P; ++q) {
    GpuExchange& g = plan.gpus[static_cast<size_t>(q)];
    g.recv_offset.assign(static_cast<size_t>(P), 0);
    g.recv_rows.assign(static_cast<size_t>(P), 0);
    for (int p = 0; p < P; ++p) {
      const GpuExchange& src = plan.gpus[static_cast<size_t>(p)];
      g.recv_offset[static_cast<size_t>(p)] = static_cast<int64_t>(g.recv_meta.size());
      g.recv_rows[static_cast<size_t>(p)] = src.send_rows[static_cast<size_t>(q)];
      const auto first = src.send_meta.begin() + src.send_offset[static_cast<size_t>(q)];
      g.recv_meta.insert(g.recv_meta.end(), first, first + src.send_rows[static_cast<size_t>(q)]);
      for (int d = fold.first_rank(q); d < fold.first_rank(q + 1); ++d)
        for (int s = src.first_rank; s < src.first_rank + src.num_ranks; ++s)
          g.recv_dst_rank.insert(g.recv_dst_rank.end(), pairs[static_cast<size_t>(s) * G + d].meta.size(), d);
    }
    g.total_recv_rows = static_cast<int64_t>(g.recv_meta.size());
    checked_row(g.total_recv_rows, q);
  }

  // 3. Expert rows on each GPU: per local slot, the received rows that carry it, in receive order.
  for (GpuExchange& g : plan.gpus) {
    std::vector<int32_t> slot_key, entry_recv_row;
    std::vector<float> entry_weight;
    for (int64_t r = 0; r < g.total_recv_rows; ++r) {
      const TokenMeta& m = g.recv_meta[static_cast<size_t>(r)];
      const int local_rank = g.recv_dst_rank[static_cast<size_t>(r)] - g.first_rank;
      for (int k = 0; k < kMaxTokenSlots && m.slot[k] >= 0; ++k) {
        slot_key.push_back(local_rank * L + m.slot[k]);
        entry_recv_row.push_back(static_cast<int32_t>(r));
        entry_weight.push_back(m.weight[k]);
      }
    }
    std::vector<int64_t> order;
    stable_buckets(slot_key, static_cast<int64_t>(g.num_ranks) * L, g.slot_offset, order);
    checked_row(static_cast<int64_t>(order.size()), g.gpu);
    // Entry i (in receive-row order) becomes expert row position_of[i].
    std::vector<int32_t> position_of(order.size());
    g.expert_recv_row.resize(order.size());
    g.expert_src_rank.resize(order.size());
    g.expert_token.resize(order.size());
    for (size_t row = 0; row < order.size(); ++row) {
      const auto entry = static_cast<size_t>(order[row]);
      position_of[entry] = static_cast<int32_t>(row);
      g.expert_recv_row[row] = entry_recv_row[entry];
      const TokenMeta& m = g.recv_meta[static_cast<size_t>(entry_recv_row[entry])];
      g.expert_src_rank[row] = m.src_rank;
      g.expert_token[row] = m.token;
    }
    // Entries were appended per received row in slot order: the combine CSR is that sequence.
    g.combine_offset.assign(static_cast<size_t>(g.total_recv_rows) + 1, 0);
    for (int32_t r : entry_recv_row) ++g.combine_offset[static_cast<size_t>(r) + 1];
    for (size_t i = 1; i < g.combine_offset.size(); ++i) g.combine_offset[i] += g.combine_offset[i - 1];
    g.combine_expert_row = position_of;
    g.combine_weight = entry_weight;

    // 4. Reduce on the source side: a token's staging rows in send order are in ascending d.
    std::vector<int32_t> token_key(static_cast<size_t>(g.total_send_rows));
    for (size_t i = 0; i < token_key.size(); ++i)
      token_key[i] = (g.send_meta[i].src_rank - g.first_rank) * T + g.send_meta[i].token;
    stable_buckets(token_key, static_cast<int64_t>(g.num_ranks) * T, g.reduce_offset, order);
    g.reduce_send_row.assign(order.begin(), order.end());
  }

  // 5. What the receivers must count, from the workload's own traffic model.
  const workloads::MoeTraffic traffic = workloads::compute_traffic(w, layout, tokens_by_rank);
  plan.expected_slot_tokens.assign(static_cast<size_t>(G) * L, 0);
  plan.expected_rank_rows.assign(traffic.tokens_received.begin(), traffic.tokens_received.end());
  for (int d = 0; d < G; ++d) {
    int64_t routed = 0;
    if (d < w.deployment.routed_expert_gpus())
      for (int e = 0; e < spg; ++e) {
        const int64_t n = traffic.slot_tokens[static_cast<size_t>(d) * spg + e];
        plan.expected_slot_tokens[static_cast<size_t>(d) * L + e] = n;
        routed += n;
      }
    if (shared_routed)
      plan.expected_slot_tokens[static_cast<size_t>(d) * L + plan.shared_slot] =
          traffic.expert_computations[static_cast<size_t>(d)] - routed;
  }
  return plan;
}

CombinePull combine_pull_sources(const ExchangePlan& plan, int me) {
  const GpuExchange& g = plan.gpus[static_cast<size_t>(me)];
  // Which GPU each send row went to, and where it sits in that GPU's receive order.
  std::vector<int32_t> to_gpu(static_cast<size_t>(g.total_send_rows)), at_row(static_cast<size_t>(g.total_send_rows));
  for (size_t q = 0; q < plan.gpus.size(); ++q) {
    const int64_t first = g.send_offset[q], there = plan.gpus[q].recv_offset[static_cast<size_t>(me)];
    for (int64_t i = 0; i < g.send_rows[q]; ++i) {
      to_gpu[static_cast<size_t>(first + i)] = static_cast<int32_t>(q);
      at_row[static_cast<size_t>(first + i)] = static_cast<int32_t>(there + i);
    }
  }
  CombinePull pull;
  pull.gpu.reserve(g.reduce_send_row.size());
  pull.row.reserve(g.reduce_send_row.size());
  for (int32_t r : g.reduce_send_row) {
    pull.gpu.push_back(to_gpu[static_cast<size_t>(r)]);
    pull.row.push_back(at_row[static_cast<size_t>(r)]);
  }
  return pull;
}

MoeMemory moe_memory(const ExchangePlan& plan, int gpu, bool with_gemm, bool with_pack, int expert_intermediate) {
  const GpuExchange& g = plan.gpus[static_cast<size_t>(gpu)];
  const int64_t meta = static_cast<int64_t>(sizeof(TokenMeta));
  const int64_t D = plan.dispatch_row_bytes, C = plan.combine_row_bytes;
  MoeMemory m;
  m.input = g.local_tokens() * (D + C);
  m.receive = g.total_recv_rows * (D + meta);
  if (with_pack) m.send_pack = g.total_send_rows * (D + meta);
  m.expert = g.expert_rows() * C + g.total_recv_rows * C;  // expert outputs, weighted rows
  if (with_gemm) {
    // Chunked scratch (see runtime/moe_layer.cpp): at most kGemmChunkRows rows at a time.
    const int64_t rows = std::min<int64_t>(g.expert_rows(), 65536);
    m.expert += rows * (D + 4LL * expert_intermediate + expert_intermediate + expert_intermediate / 128 * 4);
    // One logical rank's expert weights (W1 gate+up, W2), reused by the ranks a folded GPU plays.
    m.expert += static_cast<int64_t>(plan.slots_per_rank) * 3LL * expert_intermediate * plan.hidden;
  }
  m.combine = g.total_send_rows * C;
  m.plan = g.total_send_rows * (4 + meta) + g.total_recv_rows * (meta + 8) + g.expert_rows() * 16 +
           g.local_tokens() * 8 + g.total_send_rows * (4 + 8);  // reduce rows, pull sources (GPU, row)
  return m;
}

}  // namespace hwlab::runtime

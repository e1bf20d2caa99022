#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/error.h"
#include "plan_fixture.h"
#include "runtime/exchange_plan.h"
#include "runtime/fold_map.h"
#include "workloads/traffic.h"

using hwlab::kernels::TokenMeta;
using hwlab::runtime::build_exchange_plan;
using hwlab::runtime::ExchangePlan;
using hwlab::runtime::FoldMap;
using hwlab::runtime::GpuExchange;

TEST_CASE("fold map deals contiguous blocks of ranks", "[runtime][fold]") {
  const FoldMap f(32, 2);
  CHECK(f.folded());
  CHECK(f.gpu_of(0) == 0);
  CHECK(f.gpu_of(15) == 0);
  CHECK(f.gpu_of(16) == 1);
  CHECK(f.first_rank(1) == 16);
  CHECK(f.ranks_on(1) == 16);
  const FoldMap odd(10, 3);  // uneven: 4 + 3 + 3 or similar, every rank exactly once
  int total = 0;
  for (int g = 0; g < 3; ++g) {
    total += odd.ranks_on(g);
    for (int r = odd.first_rank(g); r < odd.first_rank(g + 1); ++r) CHECK(odd.gpu_of(r) == g);
  }
  CHECK(total == 10);
  CHECK_FALSE(FoldMap(8, 8).folded());
}

namespace {

// Invariants every plan must satisfy, whatever the fold.
void check_plan(const hwlab::test::Routed& r, const ExchangePlan& plan) {
  const int P = plan.fold.physical_gpus(), T = plan.tokens_per_rank, L = plan.slots_per_rank;
  const auto traffic = hwlab::workloads::compute_traffic(r.workload, r.layout, r.tokens);
  int64_t all_rows = 0, expected_rows = 0;
  for (int64_t n : traffic.tokens_received) expected_rows += n;
  std::vector<std::vector<int>> pulled;  // [gpu][receive row]: times a combine pull reads it
  for (const GpuExchange& g : plan.gpus) pulled.emplace_back(static_cast<size_t>(g.total_recv_rows), 0);
  for (int q = 0; q < P; ++q) {
    const GpuExchange& g = plan.gpus[static_cast<size_t>(q)];
    all_rows += g.total_recv_rows;
    // Block p -> q has the same rows on both sides, in the same order.
    for (int p = 0; p < P; ++p) {
      const GpuExchange& src = plan.gpus[static_cast<size_t>(p)];
      REQUIRE(g.recv_rows[static_cast<size_t>(p)] == src.send_rows[static_cast<size_t>(q)]);
      for (int64_t i = 0; i < g.recv_rows[static_cast<size_t>(p)]; ++i) {
        const TokenMeta& a = g.recv_meta[static_cast<size_t>(g.recv_offset[static_cast<size_t>(p)] + i)];
        const TokenMeta& b = src.send_meta[static_cast<size_t>(src.send_offset[static_cast<size_t>(q)] + i)];
        REQUIRE(a.src_rank == b.src_rank);
        REQUIRE(a.token == b.token);
      }
    }
    // Every received row carries at least one slot; the expert rows cover each (row, slot) once.
    std::vector<int64_t> slot_counts(static_cast<size_t>(g.num_ranks) * L, 0);
    int64_t entries = 0;
    for (int64_t row = 0; row < g.total_recv_rows; ++row) {
      const TokenMeta& m = g.recv_meta[static_cast<size_t>(row)];
      REQUIRE(m.slot[0] >= 0);
      const int d = g.recv_dst_rank[static_cast<size_t>(row)];
      REQUIRE(plan.fold.gpu_of(d) == q);
      for (int k = 0; k < hwlab::kernels::kMaxTokenSlots && m.slot[k] >= 0; ++k) {
        ++slot_counts[static_cast<size_t>((d - g.first_rank) * L + m.slot[k])];
        ++entries;
      }
      const int64_t c0 = g.combine_offset[static_cast<size_t>(row)], c1 = g.combine_offset[static_cast<size_t>(row) + 1];
      for (int64_t e = c0; e < c1; ++e)
        REQUIRE(g.expert_recv_row[static_cast<size_t>(g.combine_expert_row[static_cast<size_t>(e)])] == row);
    }
    REQUIRE(g.expert_rows() == entries);
    for (int lr = 0; lr < g.num_ranks; ++lr)
      for (int s = 0; s < L; ++s) {
        const size_t i = static_cast<size_t>(lr * L + s);
        REQUIRE(slot_counts[i] == plan.expected_slot_tokens[static_cast<size_t>((g.first_rank + lr) * L + s)]);
        REQUIRE(g.slot_offset[i + 1] - g.slot_offset[i] == slot_counts[i]);
      }
    // The reduce visits every staging row exactly once, a token's rows in ascending send order.
    std::vector<int> seen(static_cast<size_t>(g.total_send_rows), 0);
    REQUIRE(g.local_tokens() == static_cast<int64_t>(g.num_ranks) * T);
    for (int64_t tok = 0; tok < g.local_tokens(); ++tok) {
      const int64_t k0 = g.reduce_offset[static_cast<size_t>(tok)], k1 = g.reduce_offset[static_cast<size_t>(tok) + 1];
      REQUIRE(k1 > k0);  // every token goes somewhere
      for (int64_t k = k0; k < k1; ++k) {
        const int32_t row = g.reduce_send_row[static_cast<size_t>(k)];
        ++seen[static_cast<size_t>(row)];
        if (k > k0) REQUIRE(row > g.reduce_send_row[static_cast<size_t>(k - 1)]);
        REQUIRE(g.send_x_row[static_cast<size_t>(row)] == tok);
      }
    }
    for (int s : seen) REQUIRE(s == 1);
    // Pulling: reduce entry k reads, on the GPU that computed it, the weighted row of the very
    // (source rank, token) the push exchange would have put into staging row reduce_send_row[k].
    const auto pull = hwlab::runtime::combine_pull_sources(plan, q);
    REQUIRE(pull.gpu.size() == g.reduce_send_row.size());
    REQUIRE(pull.row.size() == g.reduce_send_row.size());
    for (size_t k = 0; k < pull.gpu.size(); ++k) {
      const GpuExchange& from = plan.gpus[static_cast<size_t>(pull.gpu[k])];
      const int64_t row = pull.row[k];
      REQUIRE(row >= from.recv_offset[static_cast<size_t>(q)]);
      REQUIRE(row < from.recv_offset[static_cast<size_t>(q)] + from.recv_rows[static_cast<size_t>(q)]);
      const TokenMeta& got = from.recv_meta[static_cast<size_t>(row)];
      const TokenMeta& want = g.send_meta[static_cast<size_t>(g.reduce_send_row[k])];
      REQUIRE(got.src_rank == want.src_rank);
      REQUIRE(got.token == want.token);
      REQUIRE(std::memcmp(&got, &want, sizeof(TokenMeta)) == 0);  // same destination rank's slots and weights
      ++pulled[static_cast<size_t>(pull.gpu[k])][static_cast<size_t>(row)];
    }
  }
  // ... and every weighted row of every GPU is pulled by exactly one owner, once.
  for (const auto& rows : pulled)
    for (int n : rows) REQUIRE(n == 1);
  // The exchange moves exactly the token copies of the workload's traffic model.
  CHECK(all_rows == expected_rows);
  for (int d = 0; d < plan.fold.logical_ranks(); ++d)
    CHECK(plan.expected_rank_rows[static_cast<size_t>(d)] == traffic.tokens_received[static_cast<size_t>(d)]);
}

}  // namespace

TEST_CASE("exchange plan of the prefill preset, unfolded to folded", "[runtime][plan]") {
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 48));
  for (int gpus : {1, 2, 8, 32}) {
    INFO("physical GPUs " << gpus);
    const ExchangePlan plan = build_exchange_plan(r.workload, r.layout, r.tokens, gpus);
    CHECK(plan.slots_per_rank == 9);
    CHECK(plan.shared_slot == -1);
    CHECK(plan.dispatch_row_bytes == 7392);
    CHECK(plan.combine_row_bytes == 14336);
    check_plan(r, plan);
  }
}

TEST_CASE("exchange plan of the decode preset carries the routed shared expert", "[runtime][plan]") {
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-decode", 8));
  const ExchangePlan plan = build_exchange_plan(r.workload, r.layout, r.tokens, 2);
  CHECK(plan.slots_per_rank == 2);
  CHECK(plan.shared_slot == 1);
  check_plan(r, plan);
  // Every token reaches exactly one shared-expert rank with weight 1.
  int64_t shared = 0;
  for (const GpuExchange& g : plan.gpus)
    for (const TokenMeta& m : g.recv_meta)
      for (int k = 0; k < hwlab::kernels::kMaxTokenSlots && m.slot[k] >= 0; ++k)
        if (m.slot[k] == plan.shared_slot) {
          ++shared;
          CHECK(m.weight[k] == 1.0f);
        }
  CHECK(shared == 320 * 8);
}

TEST_CASE("exchange plan rows and meta follow the routing", "[runtime][plan]") {
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 16));
  const ExchangePlan plan = build_exchange_plan(r.workload, r.layout, r.tokens, 4);
  for (const GpuExchange& g : plan.gpus)
    for (size_t i = 0; i < g.send_meta.size(); ++i) {
      const TokenMeta& m = g.send_meta[i];
      REQUIRE(m.src_rank >= g.first_rank);
      REQUIRE(m.src_rank < g.first_rank + g.num_ranks);
      REQUIRE(g.send_x_row[i] == (m.src_rank - g.first_rank) * 16 + m.token);
      float weights = 0;
      for (int k = 0; k < hwlab::kernels::kMaxTokenSlots && m.slot[k] >= 0; ++k) {
        // The slot's logical expert is one the token chose, with its gate weight.
        const hwlab::workloads::Routing& rt = r.tokens[static_cast<size_t>(m.src_rank)];
        bool found = false;
        for (int j = 0; j < rt.top_k; ++j)
          if (rt.weight(m.token, j) == m.weight[k]) found = true;
        REQUIRE(found);
        weights += m.weight[k];
      }
      REQUIRE(weights > 0.0f);
      REQUIRE(weights <= 1.0001f);
    }
}

TEST_CASE("exchange plan refuses what the kernels cannot move", "[runtime][plan]") {
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 4));
  CHECK_THROWS_AS(build_exchange_plan(r.workload, r.layout, r.tokens, 33), hwlab::UserError);
  CHECK_THROWS_AS(build_exchange_plan(r.workload, r.layout, r.tokens, 0), hwlab::UserError);
  const hwlab::test::Routed bf16(hwlab::test::small_workload("dsv3-prefill", 4, {"workload.model.dispatch_dtype=bf16"}));
  CHECK_THROWS_WITH(build_exchange_plan(bf16.workload, bf16.layout, bf16.tokens, 1),
                    Catch::Contains("FP8 E4M3 rows with one scale per 128 channels"));
}

TEST_CASE("device memory of a MoE run is counted per buffer", "[runtime][plan]") {
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 32));
  const ExchangePlan plan = build_exchange_plan(r.workload, r.layout, r.tokens, 2);
  const auto m = hwlab::runtime::moe_memory(plan, 0, false, false, 2048);
  const GpuExchange& g = plan.gpus[0];
  CHECK(m.input == g.local_tokens() * (7392 + 14336));
  CHECK(m.receive == g.total_recv_rows * (7392 + 80));
  CHECK(m.send_pack == 0);
  const auto with = hwlab::runtime::moe_memory(plan, 0, true, true, 2048);
  CHECK(with.total() > m.total());
}

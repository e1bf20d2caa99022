#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"
#include "workloads/eplb.h"

namespace fs = std::filesystem;
using hwlab::UserError;
using hwlab::workloads::EplbPolicy;
using hwlab::workloads::ExpertPlacement;
using hwlab::workloads::rebalance_experts;

namespace {

using Table = std::vector<std::vector<int>>;

// The two-layer example of the deepseek-ai/EPLB README: 12 experts in 4 groups, 16 replicas,
// 2 nodes of 4 GPUs.
const std::vector<std::vector<double>> kReadmeLoad = {
    {90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86},
    {20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27},
};

// Checks that phy2log, log2phy and logcnt describe the same placement.
void check_consistent(const ExpertPlacement& p) {
  REQUIRE(static_cast<int>(p.phy2log.size()) == p.num_layers);
  REQUIRE(static_cast<int>(p.log2phy.size()) == p.num_layers);
  REQUIRE(static_cast<int>(p.logcnt.size()) == p.num_layers);
  int max_count = 0;
  for (int layer = 0; layer < p.num_layers; ++layer) {
    REQUIRE(static_cast<int>(p.phy2log[layer].size()) == p.num_physical);
    REQUIRE(static_cast<int>(p.logcnt[layer].size()) == p.num_logical);
    REQUIRE(static_cast<int>(p.log2phy[layer].size()) == p.num_logical);
    std::vector<int> seen(p.num_physical, 0);
    int total = 0;
    for (int e = 0; e < p.num_logical; ++e) {
      const int count = p.logcnt[layer][e];
      CHECK(count >= 1);
      total += count;
      max_count = std::max(max_count, count);
      REQUIRE(static_cast<int>(p.log2phy[layer][e].size()) == p.max_replicas);
      for (int r = 0; r < p.max_replicas; ++r) {
        const int slot = p.log2phy[layer][e][r];
        if (r >= count) {
          CHECK(slot == -1);
          continue;
        }
        REQUIRE(slot >= 0);
        REQUIRE(slot < p.num_physical);
        CHECK(p.phy2log[layer][slot] == e);
        ++seen[slot];
      }
    }
    CHECK(total == p.num_physical);
    // Every slot is named by exactly one (expert, replica) pair: log2phy inverts phy2log.
    CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  }
  CHECK(p.max_replicas == max_count);
}

}  // namespace

TEST_CASE("eplb: reproduces the deepseek-ai/EPLB README example", "[eplb]") {
  const ExpertPlacement p = rebalance_experts(kReadmeLoad, 16, 4, 2, 8);
  CHECK(p.policy == EplbPolicy::hierarchical);
  CHECK(p.num_layers == 2);
  CHECK(p.num_logical == 12);
  CHECK(p.num_physical == 16);
  CHECK(p.max_replicas == 2);
  // The README's printed output.
  CHECK(p.phy2log == Table{{5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1},
                           {7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1}});
  CHECK(p.logcnt == Table{{1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1}, {1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1}});
  // Replica rank order, not slot order: in layer 0 expert 4's original replica was packed onto
  // GPU 3 (slot 7), its added one onto GPU 2 (slot 5).
  const std::vector<std::vector<std::vector<int>>> log2phy = {
      {{12, -1}, {15, 13}, {11, -1}, {6, -1}, {7, 5}, {0, 2},
       {1, -1}, {3, -1}, {4, -1}, {9, -1}, {8, 10}, {14, -1}},
      {{13, -1}, {15, 11}, {8, -1}, {14, -1}, {9, -1}, {10, 12},
       {2, 4}, {0, -1}, {6, 3}, {7, -1}, {1, -1}, {5, -1}},
  };
  CHECK(p.log2phy == log2phy);
  check_consistent(p);
}

TEST_CASE("eplb: uses the global policy when the nodes do not divide the groups", "[eplb]") {
  // 3 groups on 2 nodes: replicate over all 12 experts, pack the 16 replicas over all 8 GPUs.
  const ExpertPlacement p = rebalance_experts({kReadmeLoad[0]}, 16, 3, 2, 8);
  CHECK(p.policy == EplbPolicy::global);
  // Extra replicas go to experts 10, 5, 1, 4 (highest load per replica each time); the 16 replicas
  // are then packed two per GPU, heaviest first onto the lightest GPU.
  CHECK(p.phy2log == Table{{10, 6, 10, 7, 0, 2, 11, 4, 5, 9, 5, 4, 8, 3, 1, 1}});
  CHECK(p.logcnt == Table{{1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1}});
  const std::vector<std::vector<std::vector<int>>> log2phy = {
      {{4, -1}, {14, 15}, {5, -1}, {13, -1}, {11, 7}, {8, 10},
       {1, -1}, {3, -1}, {12, -1}, {9, -1}, {0, 2}, {6, -1}},
  };
  CHECK(p.log2phy == log2phy);
  check_consistent(p);
}

// The next two expectations were produced by running deepseek-ai/EPLB's eplb.py (torch 2.11, CPU) on
// these loads; it gave the same placement with its default (unstable) sort and with a stable one.
TEST_CASE("eplb: matches the reference on a 20-expert hierarchical case", "[eplb]") {
  const std::vector<std::vector<double>> load = {{85028, 45742, 16944, 24119, 52996, 98248, 30397,
                                                  57802, 85186, 80629, 40524, 55926, 25582, 76637,
                                                  98861, 2531, 55628, 52037, 29838, 71507}};
  const ExpertPlacement p = rebalance_experts(load, 32, 4, 2, 4);
  CHECK(p.policy == EplbPolicy::hierarchical);
  CHECK(p.max_replicas == 3);
  CHECK(p.phy2log == Table{{17, 8, 8, 9, 6, 18, 7, 16, 5, 5, 9, 19, 19, 7, 16, 15,
                            1, 10, 13, 14, 11, 11, 4, 3, 0, 0, 13, 14, 14, 4, 12, 2}});
  CHECK(p.logcnt == Table{{2, 1, 1, 1, 2, 2, 1, 2, 2, 2, 1, 2, 1, 2, 3, 1, 2, 1, 1, 2}});
  CHECK(p.log2phy[0][14] == std::vector<int>{27, 19, 28});
  CHECK(p.log2phy[0][7] == std::vector<int>{13, 6, -1});
  CHECK(p.log2phy[0][9] == std::vector<int>{10, 3, -1});
  check_consistent(p);
}

TEST_CASE("eplb: matches the reference on a 4-layer global case", "[eplb]") {
  const std::vector<std::vector<double>> load = {
      {16802, 14293, 16750, 98213, 69162, 22481, 14298, 93790, 42879, 79606, 96366, 47048},
      {38014, 19869, 8396, 26407, 63483, 36455, 40758, 31281, 44710, 60587, 18044, 48972},
      {72694, 29835, 52774, 1449, 10042, 60274, 67419, 76782, 79878, 24033, 50200, 45037},
      {67883, 19425, 19288, 80642, 336, 93186, 45276, 53820, 48692, 72587, 20400, 25839},
  };
  const ExpertPlacement p = rebalance_experts(load, 16, 3, 2, 8);
  CHECK(p.policy == EplbPolicy::global);
  CHECK(p.phy2log == Table{{4, 1, 3, 2, 3, 6, 10, 5, 10, 0, 11, 9, 7, 8, 7, 9},
                           {6, 2, 0, 10, 5, 1, 4, 8, 4, 8, 7, 11, 9, 3, 9, 11},
                           {5, 3, 2, 4, 10, 9, 11, 1, 8, 6, 8, 6, 7, 0, 7, 0},
                           {7, 4, 8, 2, 5, 10, 5, 1, 6, 11, 3, 0, 3, 0, 9, 9}});
  CHECK(p.logcnt == Table{{1, 1, 1, 2, 1, 1, 1, 2, 1, 2, 2, 1},
                          {1, 1, 1, 1, 2, 1, 1, 1, 2, 2, 1, 2},
                          {2, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1},
                          {2, 1, 1, 2, 1, 2, 1, 1, 1, 2, 1, 1}});
  check_consistent(p);
}

TEST_CASE("eplb: breaks ties towards the lower index", "[eplb]") {
  // Equal loads: the extra replica goes to expert 0 (first of the maxima). Then, on one GPU, the
  // replicas are ranked heaviest first with equal loads in index order: expert 1 (4), expert 0's
  // original (2), expert 0's copy (2).
  const ExpertPlacement p = rebalance_experts({{4, 4}}, 3, 1, 1, 1);
  CHECK(p.phy2log == Table{{1, 0, 0}});
  CHECK(p.logcnt == Table{{2, 1}});
  CHECK(p.log2phy == std::vector<std::vector<std::vector<int>>>{{{1, 2}, {0, -1}}});

  // Two equally light GPUs: the first one takes the next item.
  const ExpertPlacement q = rebalance_experts({{3, 3, 1, 1}}, 4, 1, 1, 2);
  CHECK(q.phy2log == Table{{0, 2, 1, 3}});
}

TEST_CASE("eplb: equal loads keep index order in long sorts", "[eplb]") {
  // 48 equal experts, 64 slots on 2 GPUs: experts 0..15 get a second replica (first of equals), so
  // the 64 replicas sort as experts 16..47 (load 7), then 0..15 and their copies (3.5 each), each run in
  // index order; the two GPUs then take turns. An unstable sort would shuffle the equal runs.
  const ExpertPlacement p = rebalance_experts({std::vector<double>(48, 7.0)}, 64, 1, 1, 2);
  std::vector<int> expected;
  for (int gpu = 0; gpu < 2; ++gpu) {
    for (int e = 16 + gpu; e < 48; e += 2) expected.push_back(e);
    for (int copy = 0; copy < 2; ++copy) {
      for (int e = gpu; e < 16; e += 2) expected.push_back(e);
    }
  }
  CHECK(p.phy2log == Table{expected});
  CHECK(p.log2phy[0][0] == std::vector<int>{16, 24});
  CHECK(p.log2phy[0][1] == std::vector<int>{48, 56});
  check_consistent(p);
}

TEST_CASE("eplb: loads are compared in single precision, as in the reference", "[eplb]") {
  // 2^24 + 1 rounds to 2^24 as a float, so both experts look equally loaded and the extra replica goes
  // to expert 0; in double precision it would go to expert 1.
  const ExpertPlacement p = rebalance_experts({{16777216, 16777217}}, 3, 1, 1, 1);
  CHECK(p.logcnt == Table{{2, 1}});
  CHECK(p.phy2log == Table{{1, 0, 0}});
}

TEST_CASE("eplb: keeps the slot order when every GPU has one slot", "[eplb]") {
  // One item per pack is placed without sorting (item i on pack i), so the heaviest expert does not
  // move to GPU 0.
  const ExpertPlacement p = rebalance_experts({{1, 5, 3, 2}}, 4, 1, 1, 4);
  CHECK(p.phy2log == Table{{0, 1, 2, 3}});
  // With one node and several groups, the node's groups are ordered heaviest first.
  const ExpertPlacement q = rebalance_experts({{1, 1, 5, 5}}, 4, 2, 1, 1);
  CHECK(q.policy == EplbPolicy::hierarchical);
  CHECK(q.phy2log == Table{{2, 3, 0, 1}});
}

TEST_CASE("eplb: placements are consistent on random inputs", "[eplb]") {
  std::mt19937 rng(20240531);
  auto pick = [&](std::initializer_list<int> choices) {
    return *(choices.begin() + rng() % choices.size());
  };
  int hierarchical_cases = 0, global_cases = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int num_nodes = pick({1, 2, 3, 4});
    const int num_gpus = num_nodes * pick({1, 2, 4});
    const int num_groups = pick({1, 2, 3, 4, 6, 8});
    const int num_logical = num_groups * pick({1, 2, 3, 4});
    const int slots_per_gpu = (num_logical + num_gpus - 1) / num_gpus + pick({0, 0, 1, 2});
    const int num_replicas = num_gpus * slots_per_gpu;
    const int num_layers = pick({1, 2, 3});
    // Small integers make many ties; some layers are all zero; others are spread out.
    const int style = trial % 4;
    std::vector<std::vector<double>> load(num_layers, std::vector<double>(num_logical));
    for (auto& row : load) {
      for (double& x : row) {
        switch (style) {
          case 0: x = static_cast<double>(rng() % 4); break;
          case 1: x = 0; break;
          case 2: x = static_cast<double>(rng() % 100000); break;
          default: x = std::ldexp(static_cast<double>(rng() % (1u << 20)), -10); break;
        }
      }
    }
    INFO("trial " << trial << ": replicas " << num_replicas << ", groups " << num_groups << ", nodes "
                  << num_nodes << ", gpus " << num_gpus << ", experts " << num_logical);

    const ExpertPlacement p = rebalance_experts(load, num_replicas, num_groups, num_nodes, num_gpus);
    CHECK(p.num_layers == num_layers);
    CHECK(p.num_logical == num_logical);
    CHECK(p.num_physical == num_replicas);
    check_consistent(p);
    // Same input, same placement.
    CHECK(rebalance_experts(load, num_replicas, num_groups, num_nodes, num_gpus).phy2log == p.phy2log);

    if (num_groups % num_nodes != 0) {
      CHECK(p.policy == EplbPolicy::global);
      ++global_cases;
      continue;
    }
    CHECK(p.policy == EplbPolicy::hierarchical);
    ++hierarchical_cases;
    // Every replica of a group's experts sits on one node, and each node holds num_groups / num_nodes
    // whole groups.
    const int group_size = num_logical / num_groups;
    const int slots_per_node = num_replicas / num_nodes;
    for (int layer = 0; layer < num_layers; ++layer) {
      std::vector<int> node_of_group(num_groups, -1);
      std::vector<int> groups_on_node(num_nodes, 0);
      for (int slot = 0; slot < num_replicas; ++slot) {
        const int group = p.phy2log[layer][slot] / group_size;
        const int node = slot / slots_per_node;
        if (node_of_group[group] < 0) {
          node_of_group[group] = node;
          ++groups_on_node[node];
        }
        CHECK(node_of_group[group] == node);
      }
      for (int n : groups_on_node) CHECK(n == num_groups / num_nodes);
    }
  }
  CHECK(hierarchical_cases > 100);
  CHECK(global_cases > 50);
}

TEST_CASE("eplb: rejects inconsistent arguments with what was expected", "[eplb]") {
  using Catch::Matchers::Contains;
  const auto& load = kReadmeLoad;
  CHECK_THROWS_WITH(rebalance_experts(load, 20, 4, 2, 8),
                    Contains("multiple of the number of GPUs (8)") && Contains("got 20 replicas"));
  CHECK_THROWS_WITH(rebalance_experts(load, 24, 4, 4, 6),
                    Contains("multiple of the number of nodes (4)") && Contains("got 6 GPUs"));
  CHECK_THROWS_WITH(rebalance_experts(load, 8, 4, 2, 8), Contains("at least 12 replicas, got 8"));
  CHECK_THROWS_WITH(rebalance_experts(load, 16, 5, 1, 8),
                    Contains("divide the number of logical experts (12)") && Contains("got 5 groups"));
  CHECK_THROWS_WITH(rebalance_experts(load, 16, 4, 2, 0), Contains("number of GPUs to be at least 1, got 0"));
  CHECK_THROWS_WITH(rebalance_experts(load, 16, 4, 0, 8),
                    Contains("number of nodes to be at least 1, got 0"));
  CHECK_THROWS_WITH(rebalance_experts(load, 16, 0, 2, 8), Contains("expert groups to be at least 1, got 0"));
  CHECK_THROWS_WITH(rebalance_experts(load, -8, 4, 2, 8), Contains("replicas to be at least 1, got -8"));

  CHECK_THROWS_WITH(rebalance_experts({}, 16, 4, 2, 8), Contains("at least one layer"));
  CHECK_THROWS_WITH(rebalance_experts({{}}, 16, 4, 2, 8), Contains("got none in layer 0"));
  CHECK_THROWS_WITH(rebalance_experts({{1, 2, 3, 4}, {1, 2, 3}}, 4, 1, 1, 1),
                    Contains("4 expert loads like layer 0, got 3 in layer 1"));
  CHECK_THROWS_WITH(rebalance_experts({{1, 2}, {1, -2}}, 2, 1, 1, 1),
                    Contains("layer 1, expert 1") && Contains("got -2"));
  CHECK_THROWS_WITH(rebalance_experts({{1, std::nan("")}}, 2, 1, 1, 1), Contains("layer 0, expert 1"));
  CHECK_THROWS_WITH(rebalance_experts({{std::numeric_limits<double>::infinity(), 1}}, 2, 1, 1, 1),
                    Contains("layer 0, expert 0"));
  CHECK_THROWS_WITH(rebalance_experts({{1e300, 1}}, 2, 1, 1, 1), Contains("fits in a float"));
  // Every one of them is a UserError (exit status 2 in the front end).
  CHECK_THROWS_AS(rebalance_experts(load, 20, 4, 2, 8), UserError);
  CHECK_THROWS_AS(rebalance_experts({{1, -1}}, 2, 1, 1, 1), UserError);
}

TEST_CASE("eplb: loads read from JSON name the file and the element", "[eplb]") {
  using Catch::Matchers::Contains;
  using hwlab::workloads::load_expert_loads_json;
  const fs::path dir = fs::temp_directory_path() / "hwlab_test_eplb";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    hwlab::write_file_atomically(path, text);
    return path;
  };

  const std::string good = write("good.json", "[[90, 132.5, 0], [1e2, 2, 3]]\n");
  CHECK(load_expert_loads_json(good) == std::vector<std::vector<double>>{{90, 132.5, 0}, {100, 2, 3}});

  const std::string ragged = write("ragged.json", "[[1, 2, 3], [4, 5]]");
  CHECK_THROWS_WITH(load_expert_loads_json(ragged),
                    Contains(ragged) && Contains("layer 1: expected 3 expert loads like layer 0, got 2"));
  const std::string negative = write("negative.json", "[[1, 2, 3], [4, 5, -6]]");
  CHECK_THROWS_WITH(load_expert_loads_json(negative), Contains(negative) && Contains("layer 1, expert 2") &&
                                                          Contains("got -6"));
  const std::string text = write("text.json", "[[1, \"two\"]]");
  CHECK_THROWS_WITH(load_expert_loads_json(text),
                    Contains("layer 0, expert 1: expected a number, got string \"two\""));
  const std::string flat = write("flat.json", "[1, 2]");
  CHECK_THROWS_WITH(load_expert_loads_json(flat), Contains("layer 0: expected a non-empty array"));
  const std::string object = write("object.json", "{\"a\": 1}");
  CHECK_THROWS_WITH(load_expert_loads_json(object), Contains("expected a JSON array of per-layer arrays"));
  const std::string empty = write("empty.json", "[]");
  CHECK_THROWS_WITH(load_expert_loads_json(empty), Contains("got an empty array"));
  const std::string broken = write("broken.json", "[[1, 2],\n [3, ]]");
  CHECK_THROWS_WITH(load_expert_loads_json(broken), Contains(broken + ":2:") && Contains("invalid"));
  CHECK_THROWS_AS(load_expert_loads_json((dir / "missing.json").string()), UserError);
  fs::remove_all(dir);
}

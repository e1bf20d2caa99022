#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <thread>

#include "common/error.h"
#include "kernels/payload.h"
#include "plan_fixture.h"
#include "runtime/collective_plan.h"
#include "runtime/combine_reference.h"
#include "runtime/exchange_plan.h"
#include "runtime/launcher.h"
#include "runtime/measure.h"
#include "runtime/nic_discovery.h"
#include "runtime/result_assembly.h"

using namespace hwlab::runtime;
using hwlab::UserError;

TEST_CASE("size sweeps read like nccl-tests' -b -e -f", "[runtime][collective]") {
  CHECK(parse_byte_size("64K", "x") == 65536);
  CHECK(parse_byte_size("1G", "x") == (1ULL << 30));
  CHECK_THROWS_WITH(parse_byte_size("12Q", "--bytes MIN"), Catch::Contains("--bytes MIN: expected a size"));
  const SizeSweep s = parse_size_sweep("1K:16K:4");
  CHECK(sweep_sizes(s) == std::vector<uint64_t>{1024, 4096, 16384});
  CHECK(sweep_sizes(parse_size_sweep("8:8")) == std::vector<uint64_t>{8});
  CHECK_THROWS_WITH(parse_size_sweep("1M"), Catch::Contains("MIN:MAX"));
  CHECK_THROWS_WITH(parse_size_sweep("2M:1M"), Catch::Contains("larger than MAX"));
  CHECK_THROWS_WITH(parse_size_sweep("1M:2M:1"), Catch::Contains("at least 2"));
}

TEST_CASE("alltoall(v) counts: every rank sends its whole message, receivers agree", "[runtime][collective]") {
  for (const char* op : {"alltoall", "alltoallv"})
    for (int n : {1, 2, 3, 8}) {
      INFO(op << " ranks " << n);
      const AlltoallSizes a = alltoall_sizes(op, 1000000, n, 4);
      CHECK(a.bytes <= 1000000);
      CHECK(a.bytes == a.count * 4);
      uint64_t received = 0;
      for (int r = 0; r < n; ++r) {
        uint64_t sent = 0;
        for (int d = 0; d < n; ++d) sent += a.send_counts[static_cast<size_t>(r * n + d)];
        CHECK(sent == a.count);
        received += recv_total(a, n, r);
        const auto sd = send_displacements(a, n, r);
        const auto rd = recv_displacements(a, n, r);
        CHECK(sd[0] == 0);
        CHECK(rd[0] == 0);
        if (n > 1) CHECK(rd[1] == a.send_counts[static_cast<size_t>(r)]);
      }
      CHECK(received == a.count * static_cast<uint64_t>(n));
    }
  // alltoallv is uneven for more than one rank.
  const AlltoallSizes v = alltoall_sizes("alltoallv", 1 << 20, 4, 4);
  CHECK(v.send_counts[0] != v.send_counts[1]);
  CHECK_THROWS_AS(alltoall_sizes("allreduce", 8, 2, 4), UserError);
}

TEST_CASE("ranks come from arguments, MPI launchers or the local launcher", "[runtime][launcher]") {
  LaunchOptions o;
  CHECK(place_rank(o, {}).rank == 0);  // one GPU, in process
  o.gpus = 4;
  RankPlacement p = place_rank(o, {});
  CHECK(p.rank < 0);
  CHECK(p.world == 4);
  CHECK(p.source == "launcher");
  o.rank = 2;
  o.world = 4;
  p = place_rank(o, {});
  CHECK(p.rank == 2);
  CHECK(p.local_rank == 2);
  o = LaunchOptions{};
  p = place_rank(o, {{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "16"},
                     {"OMPI_COMM_WORLD_LOCAL_RANK", "3"}, {"HWLAB_COORDINATOR", "node0:29500"}});
  CHECK(p.rank == 3);
  CHECK(p.world == 16);
  CHECK(p.source == "OpenMPI");
  CHECK_THROWS_WITH(place_rank(o, {{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}}), Catch::Contains("--coordinator"));
  o.nodes = 2;
  CHECK_THROWS_WITH(place_rank(o, {}), Catch::Contains("--coordinator"));
  o.coordinator = "h:1";
  o.node_rank = 2;
  CHECK_THROWS_WITH(place_rank(o, {}), Catch::Contains("--node-rank"));
  CHECK_THROWS_WITH(split_host_port("host"), Catch::Contains("host:port"));
  CHECK_THROWS_WITH(split_host_port("host:99999"), Catch::Contains("outside"));
}

TEST_CASE("the unique id travels as hex and over the coordinator socket", "[runtime][launcher]") {
  std::vector<uint8_t> id(kUniqueIdBytes);
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i * 37 + 5);
  CHECK(from_hex(to_hex(id)) == id);
  CHECK_THROWS_AS(from_hex("zz"), UserError);
  const std::string addr = "127.0.0.1:" + std::to_string(20000 + (static_cast<int>(::getpid()) % 20000));
  std::thread server([&] { serve_blob(addr, id, 3, std::chrono::seconds(20)); });
  std::vector<std::vector<uint8_t>> got(3);
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&, c] { got[static_cast<size_t>(c)] = fetch_blob(addr, kUniqueIdBytes, std::chrono::seconds(20)); });
  for (auto& t : clients) t.join();
  server.join();
  for (const auto& g : got) CHECK(g == id);
}

TEST_CASE("NIC discovery reports devices or says why there are none", "[runtime][nic]") {
  const NicReport r = discover_nics();
  INFO(r.status);
  const bool known = r.status == "ok" || r.status == "no RDMA device" || r.status.rfind("libibverbs", 0) == 0;
  CHECK(known);
  if (r.status != "ok") CHECK(r.devices.empty());
  CHECK(nic_json(r)["status"] == r.status);
  CHECK_FALSE(nic_summary(r).empty());
  CHECK(ib_width_lanes(2) == 4);
  CHECK(ib_lane_Gbps(128) == 100.0);  // NDR: 4x = 400 Gb/s
  CHECK(ib_lane_Gbps(64) == 50.0);
  RdmaPort p;
  p.width_lanes = ib_width_lanes(2);
  p.lane_Gbps = ib_lane_Gbps(128);
  CHECK(p.rate_Gbps() == 400.0);
  CHECK(ib_port_state_name(4) == "active");
}

TEST_CASE("comm options and SM sweeps", "[runtime][options]") {
  CHECK(parse_sm_counts("20") == std::vector<int>{20});
  CHECK(parse_sm_counts("2,4,24") == std::vector<int>{2, 4, 24});
  CHECK(parse_sm_counts("2:32") == std::vector<int>{2, 4, 8, 16, 32});
  CHECK_THROWS_WITH(parse_sm_counts("0"), Catch::Contains("outside"));
  CHECK_THROWS_WITH(parse_sm_counts("a,b"), Catch::Contains("--comm-sms"));
  CHECK(parse_comm_mode("copy-engine") == CommMode::copy_engine);
  CHECK_THROWS_WITH(parse_comm_mode("rdma"), Catch::Contains("sm, nccl or copy-engine"));
  CHECK(parse_combine_method("push") == CombineMethod::push);
  CHECK(std::string(combine_method_name(parse_combine_method("pull"))) == "pull");
  CHECK_THROWS_WITH(parse_combine_method("Pull"), Catch::Contains("--sm-combine: expected pull or push"));
  CHECK(parse_block_scaling("block"));
  CHECK_FALSE(parse_block_scaling("tensor"));
  CHECK_THROWS_WITH(parse_block_scaling("1x128"), Catch::Contains("--gemm-scales: expected block or tensor"));
  CommonMeasureOptions c;
  c.iterations = 0;
  CHECK_THROWS_WITH(check_common(c), Catch::Contains("--iters"));
}

TEST_CASE("payload encoding is finite FP8 and differs between tokens and ranks", "[runtime][payload]") {
  using namespace hwlab::kernels;
  for (int w = 0; w < 64; ++w) {
    const uint32_t word = payload_fp8_word(token_key(3, 7), w);
    for (int b = 0; b < 4; ++b) {
      const uint32_t byte = (word >> (8 * b)) & 0xffu;
      CHECK((byte & 0x7fu) != 0x7fu);  // never NaN
      const uint32_t e = (byte >> 3) & 15u;
      CHECK(e >= 4u);
      CHECK(e <= 10u);
    }
  }
  CHECK(token_key(1, 2) != token_key(2, 1));
  CHECK(payload_row_word(token_key(0, 0), 0, 7168) != payload_row_word(token_key(0, 1), 0, 7168));
  const float s = payload_scale(token_key(5, 5), 3);
  CHECK(s <= 1.0f);
  CHECK(s >= 1.0f / 128);
  CHECK(collective_value(1, 2, 3) != collective_value(2, 1, 3));
}

TEST_CASE("combine reference: BF16 rounding and a hand check", "[runtime][combine]") {
  CHECK(float_to_bf16_bits(1.0f) == 0x3f80);
  CHECK(bf16_bits_to_float(float_to_bf16_bits(0.375f)) == 0.375f);
  CHECK(bf16_bits_to_float(float_to_bf16_bits(1.0f + 1.0f / 256)) == 1.0f);  // ties to even
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 4));
  const auto ref = combine_reference(r.workload, r.layout, r.tokens[5], 5, 2);
  REQUIRE(ref.size() == 7168u);
  // Channel 0 by hand: the ranks the token reaches, each rank's weighted sum rounded to BF16.
  const auto& rt = r.tokens[5];
  std::map<int, float> partial;
  for (int j = 0; j < rt.top_k; ++j) {
    const int slot = r.layout.target_slot(rt.expert(2, j), 5, 5 * 4 + 2);
    const int d = r.layout.gpu_of_slot(slot);
    partial[d] = std::fma(rt.weight(2, j),
                          hwlab::kernels::expert_output_value(5, 2, d, slot % r.layout.slots_per_gpu(), 0), partial[d]);
  }
  float total = 0;
  for (const auto& [d, v] : partial) total += bf16_bits_to_float(float_to_bf16_bits(v));
  CHECK(ref[0] == float_to_bf16_bits(total));
  CHECK(combine_wrong_elements(ref.data(), ref) == 0);
  std::vector<uint16_t> other = combine_reference(r.workload, r.layout, r.tokens[5], 5, 3);
  CHECK(combine_wrong_elements(other.data(), ref) > 1000);  // another token's values are caught
}

TEST_CASE("result assembly: medians, slowest rank, fold metrics", "[runtime][result]") {
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 2, 3}) == 2.5);
  const auto slowest = slowest_per_iteration({1, 5, 3, 2}, 2, 2);  // rank 0: 1 5, rank 1: 3 2
  CHECK(slowest == std::vector<double>{3, 5});
  const hwlab::test::Routed r(hwlab::test::small_workload("dsv3-prefill", 8));
  const auto plan = build_exchange_plan(r.workload, r.layout, r.tokens, 2);
  const auto m = fold_metrics(plan);
  CHECK(m["logical_ranks"] == 32);
  CHECK(m["physical_gpus"] == 2);
  CHECK(m["ranks_per_gpu_max"] == 16);
  CHECK(m["dispatch_link_bytes"].get<int64_t>() > 0);
  CHECK(m["dispatch_local_bytes"].get<int64_t>() > 0);
  const auto one = build_exchange_plan(r.workload, r.layout, r.tokens, 1);
  CHECK(fold_metrics(one)["dispatch_link_bytes"] == 0);  // one GPU: every copy is local
  const hwlab::Result res = measured_result(platform_json("h100"), workload_json(r.workload),
                                            hwlab::DeviceInfo{"NVIDIA H100", 1, "580", {}}, {{"layer_us", 1.5}}, {},
                                            "hwlab measure moe");
  CHECK(res.source == "measured");
  CHECK(res.platform["gpu"]["name"].is_string());
  CHECK(res.run["command"] == "hwlab measure moe");
}

// The exchange on one GPU (every rank of a folded deployment on it, all "remote" traffic as local
// copies), through the same MoeState and checks `hwlab measure moe` uses: payload and meta of every
// received row, per-slot counts against the routing, combine against the CPU reference; for the SM
// kernels at several channel counts, the NCCL path and the copy-engine path.
#include <catch2/catch.hpp>

#include "../runtime/plan_fixture.h"
#include "kernels/checks.h"
#include "kernels/exchange.h"
#include "runtime/communicator.h"
#include "runtime/expert_stage.h"
#include "runtime/moe_exchange.h"
#include "runtime/moe_state.h"
#include "runtime/sm_partition.h"

using namespace hwlab::runtime;

namespace {

// One rank for the whole test binary, never destroyed: NCCL must not be torn down after the CUDA
// runtime at exit.
RankSession& single_rank() {
  static RankSession* s = [] {
    auto* r = new RankSession();
    r->placement.rank = 0;
    r->placement.world = 1;
    cudaSetDevice(0);
    cudaGetDeviceProperties(&r->prop, 0);
    r->comm = std::make_unique<Communicator>(new_unique_id(), 0, 1, 60);
    return r;
  }();
  return *s;
}

struct Setup {
  hwlab::test::Routed routed;
  std::unique_ptr<MoeState> state;
  Setup(const std::string& preset, int tokens, CommMode mode, CombineMethod combine = CombineMethod::pull)
      : routed(hwlab::test::small_workload(preset, tokens, {})) {
    std::vector<ExchangePlan> plans{build_exchange_plan(routed.workload, routed.layout, routed.tokens, 1)};
    state = std::make_unique<MoeState>(single_rank(), std::move(plans), mode, combine);
  }
};

}  // namespace

TEST_CASE("warp roles cover every warp and follow the rows", "[gpu][exchange]") {
  const int64_t rows[3] = {100, 0, 300};
  int begin[4];
  hwlab::kernels::plan_warp_roles(rows, 3, begin);
  CHECK(begin[0] == 0);
  CHECK(begin[3] == hwlab::kernels::kExchangeWarps);
  CHECK(begin[2] - begin[1] == 0);  // no rows, no warps
  CHECK(begin[3] - begin[2] > begin[1] - begin[0]);
}

TEST_CASE("SM dispatch and combine on one GPU, prefill folded 32 -> 1", "[gpu][exchange]") {
  const CombineMethod method = GENERATE(CombineMethod::pull, CombineMethod::push);
  INFO(combine_method_name(method) << " combine");
  Setup s("dsv3-prefill", 96, CommMode::sm, method);
  Lane lane = primary_lane(single_rank().prop.multiProcessorCount);
  for (int sms : {1, 3, 20, 132}) {
    INFO("SMs " << sms);
    const ExchangeCheck c = check_exchange(*s.state, 0, sms, lane, s.routed.workload, s.routed.layout, s.routed.tokens,
                                           true, 100000);
    CHECK(c.dispatch_wrong_rows == 0);
    CHECK(c.slot_count_wrong == 0);
    CHECK(c.combine_wrong == 0);
    CHECK(c.combine_checked_tokens == 32 * 96);
  }
  // Same seed, same bytes.
  CHECK(exchange_hash(*s.state, 0, 8, lane) == exchange_hash(*s.state, 0, 8, lane));
}

TEST_CASE("pull and push combine give the same bytes", "[gpu][exchange]") {
  Lane lane = primary_lane(single_rank().prop.multiProcessorCount);
  Setup pull("dsv3-decode", 16, CommMode::sm, CombineMethod::pull);
  const uint64_t pulled = exchange_hash(*pull.state, 0, 5, lane);
  pull.state.reset();
  Setup push("dsv3-decode", 16, CommMode::sm, CombineMethod::push);
  CHECK(exchange_hash(*push.state, 0, 5, lane) == pulled);
}

TEST_CASE("decode (routed shared expert) through SMs, NCCL and the copy engine", "[gpu][exchange]") {
  for (CommMode mode : {CommMode::sm, CommMode::nccl, CommMode::copy_engine}) {
    INFO(comm_mode_name(mode));
    Setup s("dsv3-decode", 16, mode);
    Lane lane = primary_lane(single_rank().prop.multiProcessorCount);
    const ExchangeCheck c = check_exchange(*s.state, 0, 8, lane, s.routed.workload, s.routed.layout, s.routed.tokens,
                                           true, 100000);
    CHECK(c.dispatch_wrong_rows == 0);
    CHECK(c.slot_count_wrong == 0);
    CHECK(c.combine_wrong == 0);
    CHECK(c.combine_checked_tokens == 320 * 16);
  }
}

TEST_CASE("a corrupted row is counted wrong", "[gpu][exchange]") {
  Setup s("dsv3-prefill", 8, CommMode::sm);
  Lane lane = primary_lane(8);
  const auto& g = s.state->mine(0);
  CHECK(check_exchange(*s.state, 0, 4, lane, s.routed.workload, s.routed.layout, s.routed.tokens, false, 0)
            .dispatch_wrong_rows == 0);
  // Flip one byte of received row 3 and verify again.
  hwlab::kernels::DeviceArray<unsigned long long> counters(1 + static_cast<size_t>(g.num_ranks) * 9, "counters");
  cudaMemset(counters.get(), 0, counters.bytes());
  uint8_t byte = 0;
  uint8_t* row3 = s.state->mb[0].recv_rows(0) + 3 * 7392 + 100;
  cudaMemcpy(&byte, row3, 1, cudaMemcpyDeviceToHost);
  byte ^= 1;
  cudaMemcpy(row3, &byte, 1, cudaMemcpyHostToDevice);
  hwlab::kernels::launch_verify_dispatch(s.state->mb[0].recv_rows(0), s.state->mb[0].recv_meta(0),
                                         s.state->mb[0].recv_expected.get(), s.state->mb[0].recv_dst_rank.get(),
                                         g.total_recv_rows, g.first_rank, 9, 7168, 7392, counters.get(),
                                         counters.get() + 1, nullptr);
  unsigned long long wrong = 0;
  cudaMemcpy(&wrong, counters.get(), 8, cudaMemcpyDeviceToHost);
  CHECK(wrong == 1);
}

TEST_CASE("cuBLASLt FP8 expert GEMMs match the FP32 reference", "[gpu][gemm]") {
  const auto scaling = GENERATE(hwlab::kernels::Fp8Scaling::tensor, hwlab::kernels::Fp8Scaling::block);
  INFO((scaling == hwlab::kernels::Fp8Scaling::block ? "block" : "tensor") << " scaling");
  Setup s("dsv3-prefill", 64, CommMode::sm);
  Lane lane = primary_lane(single_rank().prop.multiProcessorCount);
  REQUIRE(check_exchange(*s.state, 0, 16, lane, s.routed.workload, s.routed.layout, s.routed.tokens, false, 0).total() == 0);
  ExpertStage experts(*s.state, 2048, true, scaling);
  const ExpertStage::Check c = experts.check(*s.state, 0, lane);
  INFO("relative error " << c.rel_err);
  CHECK(c.checked > 0);
  CHECK(c.wrong == 0);
  CHECK(c.rel_err < 1e-2);
  experts.run(*s.state, 0, lane);
  REQUIRE(cudaStreamSynchronize(lane.stream) == cudaSuccess);
}

TEST_CASE("green contexts confine work to their SMs", "[gpu][green]") {
  std::string why;
  auto part = SmPartition::create(0, 20, &why);
  if (!part) {
    WARN("green contexts unavailable: " << why);
    return;
  }
  const int all = single_rank().prop.multiProcessorCount;
  CHECK(part->gemm.sms + part->comm.sms == all);
  CHECK(part->comm.sms >= 20);
  hwlab::kernels::DeviceArray<unsigned> bitmap(8, "bitmap");
  for (const Lane* lane : {&part->gemm, &part->comm}) {
    Lane::Use use(*lane);
    cudaMemsetAsync(bitmap.get(), 0, 32, lane->stream);
    hwlab::kernels::launch_sm_probe(4 * all, bitmap.get(), lane->stream);
    REQUIRE(cudaStreamSynchronize(lane->stream) == cudaSuccess);
    unsigned host[8];
    cudaMemcpy(host, bitmap.get(), 32, cudaMemcpyDeviceToHost);
    int seen = 0;
    for (unsigned w : host) seen += __builtin_popcount(w);
    INFO("partition of " << lane->sms << " SMs, probe saw " << seen);
    CHECK(seen <= lane->sms);
    CHECK(seen > 0);
  }
}

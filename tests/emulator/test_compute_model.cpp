#include <catch2/catch.hpp>

#include "emulator/gpu/compute_model.h"
#include "workloads/run_configs.h"

using namespace hwlab;
using namespace hwlab::emulator;

TEST_CASE("roofline time of the DeepSeek-V3 expert GEMMs", "[emulator][compute]") {
  auto run = workloads::load_run_configs({{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-prefill"}}, {});
  ComputeModel m(*run.platform, *run.workload);
  const int tokens[2] = {1000, 0};
  KernelCost c = m.experts(tokens, 2);
  // 3 projections of 7168 x 2048, 2 FLOPs per MAC, 1000 tokens; only one expert's weights read.
  CHECK(c.flops == Approx(2.0 * 1000 * 3 * 7168.0 * 2048));
  CHECK(c.bytes == Approx(3 * 7168.0 * 2048 + 1000 * (7168 + 2 * 2048 + 2 * 7168)));
  // Compute-bound on 132 SMs: FLOPs / (1979 TFLOP/s x 0.7) + 4 us launch.
  CHECK(m.seconds(c, true, 132) == Approx(c.flops / (1979e12 * 0.7) + 4e-6));
  // On 66 SMs half the tensor cores: twice the compute time.
  CHECK(m.seconds(c, true, 66) - 4e-6 == Approx(2 * (m.seconds(c, true, 132) - 4e-6)));
  // One token is memory-bound: the weights dominate; 8 SMs draw at most 8 x 100 GB/s.
  const int one[1] = {1};
  KernelCost w = m.experts(one, 1);
  CHECK(m.seconds(w, true, 8) == Approx(w.bytes / 800e9 + 4e-6));
  CHECK(m.seconds(w, true, 132) == Approx(w.bytes / (3350e9 * 0.8) + 4e-6));
}

TEST_CASE("attention cost grows with context in decode and is half the sequence in prefill", "[emulator][compute]") {
  auto run = workloads::load_run_configs({{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-decode"}}, {});
  ComputeModel decode(*run.platform, *run.workload);
  auto longer = workloads::load_run_configs({{config::ConfigKind::platform, "h800"}, {config::ConfigKind::workload, "dsv3-decode"}},
                                            {"workload.deployment.context_tokens=8192"});
  ComputeModel decode_long(*longer.platform, *longer.workload);
  const KernelCost a = decode.attention(128), b = decode_long.attention(128);
  // The KV-cache read doubles: 128 tokens x 4096 more positions x (512 + 64) x 2 bytes.
  CHECK(b.bytes - a.bytes == Approx(2.0 * 128 * 4096 * (512 + 64)));
  CHECK(b.flops > a.flops);
}

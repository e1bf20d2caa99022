// `hwlab measure collective|moe`: the real-GPU baseline (runtime/). One process per GPU: with
// --gpus N the command relaunches itself N times (hidden --rank/--world/--local-rank), or runs as one
// rank of mpirun/srun, or of a multi-host run with --coordinator (see runtime/launcher.h).
// Without a CUDA device it exits 2 with "no CUDA device".
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/measure.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {

namespace {

// A measurement that found wrong values or failed (status 1) ends the process with that status;
// user errors are thrown as UserError like everywhere else.
void finish(int code) {
  if (code == 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  std::exit(code);
}

void add_common(CLI::App* cmd, runtime::CommonMeasureOptions& o) {
  auto& l = o.launch;
  cmd->add_option("--gpus", l.gpus, "GPUs (processes) on this host")->capture_default_str();
  cmd->add_option("--nodes", l.nodes, "hosts taking part (each runs --gpus ranks)")->capture_default_str();
  cmd->add_option("--node-rank", l.node_rank, "index of this host among --nodes")->capture_default_str();
  cmd->add_option("--coordinator", l.coordinator, "host:port where rank 0 hands out NCCL's unique id (multi-host)");
  cmd->add_option("--rank", l.rank)->group("");  // hidden: set by the launcher or by hand
  cmd->add_option("--world", l.world)->group("");
  cmd->add_option("--local-rank", l.local_rank)->group("");
  cmd->add_option("--warmup", o.warmup, "untimed runs before timing")->capture_default_str();
  cmd->add_option("--iters", o.iterations, "timed runs (medians are reported)")->capture_default_str();
  cmd->add_option("--timeout", o.timeout_s, "seconds before a stuck NCCL call or peer wait aborts the run")
      ->capture_default_str();
  cmd->add_option("--out", o.out, "write the result (hwlab.result/1) to this file");
}

}  // namespace

void add_measure_command(CLI::App& app, int argc, char** argv) {
  auto* measure = app.add_subcommand("measure", "Run workloads on real GPUs (the baseline): collectives, MoE layers");
  measure->require_subcommand(1);
  const std::vector<std::string> args(argv, argv + argc);

  auto c = std::make_shared<runtime::CollectiveOptions>();
  auto* coll = measure->add_subcommand("collective", "nccl-tests-style alltoall / alltoallv sweep through NCCL");
  coll->add_option("--op", c->op, "alltoall or alltoallv")->capture_default_str();
  coll->add_option("--bytes", c->bytes, "sizes MIN:MAX[:FACTOR] per rank (K, M, G binary)")->capture_default_str();
  add_common(coll, c->common);
  coll->callback([c, args] {
    c->common.argv = args;
    finish(runtime::run_measure_collective(*c));
  });

  auto m = std::make_shared<runtime::MoeOptions>();
  auto* moe = measure->add_subcommand("moe", "One MoE layer of a workload: dispatch, expert GEMMs, combine");
  moe->add_option("--workload", m->workload, "workload preset or YAML file")->capture_default_str();
  moe->add_option("--platform", m->platform, "platform preset for the result (default: from the device name)");
  moe->add_option("--set", m->overrides, "override a key: workload.deployment.tokens_per_gpu=1024 (repeatable)");
  moe->add_option("--layer", m->layer, "MoE layer (0-based): which routing draw")->capture_default_str();
  moe->add_option("--comm", m->comm, "sm (own NVLink kernels), nccl (grouped send/recv) or copy-engine")
      ->capture_default_str();
  moe->add_option("--sm-combine", m->sm_combine,
                  "sm combine: pull (owners read the weighted rows) or push (written to owners, then summed)")
      ->capture_default_str();
  moe->add_option("--comm-sms", m->comm_sms, "SMs for the sm kernels: 20, or a sweep 2,4,8 / 2:32 (default: workload)");
  moe->add_option("--gemm-scales", m->gemm_scales,
                  "expert GEMM scaling: block (DeepSeek-V3's 1x128 tokens, 128x128 weights) or tensor")
      ->capture_default_str();
  moe->add_flag("--no-gemm", m->no_gemm, "communication only: skip the expert GEMMs");
  moe->add_flag("!--no-green-contexts", m->green_contexts, "do not confine GEMMs to the SMs left by communication");
  moe->add_option("--repeat-hash", m->repeat_hash, "run the exchange N times, hash every output, require one hash");
  add_common(moe, m->common);
  moe->callback([m, args] {
    m->common.argv = args;
    finish(runtime::run_measure_moe(*m));
  });
}

}  // namespace hwlab::cli

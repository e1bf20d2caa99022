#include "emulator/collective.h"

#include <memory>

#include <fmt/format.h>

#include "common/collective_table.h"
#include "common/error.h"
#include "emulator/emulate.h"
#include "workloads/collective_sizes.h"
#include "workloads/run_configs.h"

namespace hwlab::emulator {

namespace {

// A deployment of `gpus` GPUs for the cluster model to run the exchange on: nodes of the platform's
// size (or one smaller node), no routing of its own.
workloads::RunConfigs collective_run(const config::PlatformConfig& platform,
                                     const std::optional<config::ProposalConfig>& proposal, const CollectiveSpec& spec) {
  const int per_node = platform.node.gpus_per_node;
  if (spec.gpus < 2) throw UserError(fmt::format("--gpus {}: a collective needs at least 2 GPUs", spec.gpus));
  if (spec.gpus > per_node && spec.gpus % per_node != 0)
    throw UserError(fmt::format("--gpus {}: expected at most {} or a multiple of {} (whole nodes of {})", spec.gpus,
                                per_node, per_node, platform.name));
  if (spec.sms < 1 && !(proposal && proposal->coprocessor))
    throw UserError(fmt::format("--sms {}: the SM-driven exchange needs at least one SM", spec.sms));
  workloads::RunConfigs run = workloads::load_run_configs({{config::ConfigKind::workload, "dsv3-prefill"}}, {});
  run.platform = platform;
  // The packet model unless the flow model was asked for (that one runs without a cluster, below).
  run.platform->emulation.network_model = config::NetworkModel::packet;
  run.proposal = proposal;
  auto& d = run.workload->deployment;
  d.gpus_per_node = std::min(spec.gpus, per_node);
  run.platform->node.gpus_per_node = d.gpus_per_node;
  d.nodes = spec.gpus / d.gpus_per_node;
  d.attention_tp = 1;
  d.attention_dp = d.expert_parallel = spec.gpus;
  d.redundant_experts = 0;
  d.micro_batches = 1;
  d.comm_sms = std::max(spec.sms, 1);
  d.internode_path = workloads::InternodePath::direct_ib;
  run.workload->name = fmt::format("{}-{}gpus", spec.op, spec.gpus);
  return run;
}

}  // namespace

std::vector<CollectiveRow> emulate_collective(const config::PlatformConfig& platform,
                                              const std::optional<config::ProposalConfig>& proposal,
                                              const CollectiveSpec& spec, std::vector<FlowEstimate>* flow) {
  const workloads::RunConfigs run = collective_run(platform, proposal, spec);
  std::vector<CollectiveRow> rows;
  if (spec.flow_model) {
    for (uint64_t size : spec.sizes) {
      const uint64_t count = workloads::alltoall_count(spec.op, size, spec.gpus, spec.element_bytes);
      FlowExchange x;
      const std::string op = spec.op;
      const int gpus = spec.gpus;
      x.send_counts = [op, count, gpus](int src, uint64_t* row) { workloads::alltoall_row(op, count, gpus, src, row); };
      x.gpus = spec.gpus;
      x.gpus_per_node = run.workload->deployment.gpus_per_node;
      x.element_bytes = spec.element_bytes;
      x.comm_sms = run.workload->deployment.comm_sms;
      const FlowEstimate e = estimate_alltoall_flow(*run.platform, run.proposal, x);
      rows.push_back(make_collective_row(spec.op, count * static_cast<uint64_t>(spec.element_bytes), count, "float",
                                         e.time_us, spec.gpus));
      if (flow) flow->push_back(e);
    }
    return rows;
  }
  for (uint64_t size : spec.sizes) {
    // Shared, not copied into each copy of the plan function: G^2 counts are 2 GiB at 16 384 GPUs.
    const auto sizes = std::make_shared<const workloads::AlltoallSizes>(
        workloads::alltoall_sizes(spec.op, size, spec.gpus, spec.element_bytes));
    EmulationOptions o;
    o.comm_only = true;
    const int per_node = run.workload->deployment.gpus_per_node, chunk = run.platform->emulation.chunk_bytes;
    const int gpus = spec.gpus, element_bytes = spec.element_bytes;
    o.collective_plan = [sizes, gpus, element_bytes, per_node, chunk](int, int) {
      return build_collective_plan(sizes->send_counts, gpus, per_node, element_bytes, chunk);
    };
    const EmulationOutput out = emulate(run, o, false);
    const double us = out.result.metrics.at("dispatch_us").get<double>();
    rows.push_back(make_collective_row(spec.op, sizes->bytes, sizes->count, "float", us, spec.gpus));
  }
  return rows;
}

}  // namespace hwlab::emulator

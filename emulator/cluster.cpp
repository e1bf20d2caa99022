#include "emulator/cluster.h"

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::emulator {

namespace {

int checked_layers(const workloads::WorkloadConfig& w, const EmulationOptions& o) {
  const int all = w.model.moe_layers();
  if (o.layers < 0 || o.layers > all)
    throw UserError(fmt::format("--layers {}: expected between 1 and {} (0 = all)", o.layers, all));
  return (o.comm_only || o.collective_plan) ? 1 : (o.layers == 0 ? all : o.layers);
}

}  // namespace

Cluster::Cluster(sc_core::sc_module_name name, const config::PlatformConfig& platform,
                 const workloads::WorkloadConfig& workload, const std::optional<config::ProposalConfig>& proposal,
                 const EmulationOptions& options)
    : sc_module(name), platform_(platform), workload_(workload), layers_(checked_layers(workload, options)),
      comm_only_(options.comm_only), coprocessor_(proposal && proposal->coprocessor.has_value()),
      comm_sms_(coprocessor_ ? 0 : workload.deployment.comm_sms),
      faults_(platform, workload.deployment.gpus()), compute_(platform, workload),
      registry_(workload, layers_, platform.emulation.chunk_bytes, options.collective_plan, options.functional),
      streams_(make_schedule(workload.deployment.phase, layers_, workload.deployment.micro_batches, options.comm_only)) {
  if (options.collective_plan) streams_.b.resize(1);  // the dispatch only
  if (options.functional && options.collective_plan)
    throw UserError("functional mode checks MoE dispatch and combine programs; a collective has none");
  if (options.functional && workload.model.hidden_size > kFunctionalMaxHidden)
    throw UserError(fmt::format("functional mode moves real bytes: workload.model.hidden_size {} is above {} "
                                "(shrink it, e.g. --set workload.model.hidden_size=128)",
                                workload.model.hidden_size, kFunctionalMaxHidden));
  const auto& d = workload.deployment;
  if (d.gpus_per_node != platform.node.gpus_per_node)
    throw UserError(fmt::format("workload.deployment.gpus_per_node is {}, but platform {} has {} GPUs per node",
                                d.gpus_per_node, platform.name, platform.node.gpus_per_node));
  if (coprocessor_ && proposal->coprocessor->model == config::CoprocessorModel::rtl && !coprocessor_rtl_available())
    throw UserError("coprocessor.model rtl: this hwlab was built without the co-processor's RTL models (Verilator "
                    "not found, or configured with -DHWLAB_RTL=OFF); use model tlm, or rebuild with Verilator");
  const int sms = platform.gpu.sm_count;
  if (!coprocessor_ && d.comm_sms == 0)
    throw UserError("workload.deployment.comm_sms is 0: the SM-driven baseline needs SMs to communicate "
                    "(give it some, or run with a co-processor proposal)");
  if (d.comm_sms >= sms)
    throw UserError(fmt::format("workload.deployment.comm_sms {} leaves no SM of {} for compute", d.comm_sms, sms));

  GpuSettings settings;
  settings.comm_only = options.comm_only;
  if (d.phase == workloads::Phase::prefill) {
    settings.compute_sms_a = sms - comm_sms_;  // a co-processor gives the communication SMs back
  } else {
    settings.compute_sms_a = sms - d.comm_sms;  // attention; the MoE stream keeps its SMs for experts
    settings.compute_sms_b = d.comm_sms;
  }

  const int gpus = d.gpus(), per_node = d.gpus_per_node;
  for (int n = 0; n < d.nodes; ++n)
    switches_.push_back(std::make_unique<NvSwitch>(fmt::format("node{}_nvswitch", n).c_str(), n, per_node,
                                                   platform.node.nvlink_achievable_GBps,
                                                   platform.node.nvlink_latency_us));
  fabric_ = std::make_unique<IbFabric>("ib_fabric", platform, gpus, faults_);
  for (int g = 0; g < gpus; ++g) {
    const std::string gname = fmt::format("gpu{}", g);
    std::unique_ptr<IssueModel> issue;
    if (coprocessor_)
      issue = std::make_unique<CoprocessorIssueModel>(gname, *proposal->coprocessor, per_node,
                                                      workload.routing.seed * 1000003u + static_cast<uint64_t>(g));
    else issue = std::make_unique<SmIssueModel>(gname, platform.comm_sm, d.comm_sms);
    GpuSettings mine = settings;
    mine.compute_slowdown = faults_.slowdown(g);
    gpus_.push_back(std::make_unique<Gpu>(gname.c_str(), g, mine, streams_, std::move(issue), registry_, compute_,
                                          workload, faults_, platform.fabric.planes));
    nics_.push_back(std::make_unique<Nic>(fmt::format("gpu{}_nic", g).c_str(),
                                          platform.nic.achievable_GBps * platform.nic.count_per_gpu,
                                          platform.nic.latency_us));
  }
  if (platform.emulation.network_model == config::NetworkModel::flow) {
    if (options.functional)
      throw UserError("functional mode checks the packet model's deliveries; platform.emulation.network_model flow "
                      "moves none (use packet)");
    if (coprocessor_ && proposal->coprocessor->model == config::CoprocessorModel::rtl)
      throw UserError("coprocessor.model rtl decodes every DMA descriptor; platform.emulation.network_model flow "
                      "issues none (use packet)");
    flow_network_ = std::make_unique<FlowNetwork>(platform, proposal, gpus, per_node, d.comm_sms);
    flow_ = std::make_unique<FlowEngine>(*flow_network_, registry_);
    for (auto& g : gpus_) g->use_flow_model(flow_.get());
  }
  if (coprocessor_ && proposal->coprocessor->program == config::CoprocessorProgram::isa && !options.collective_plan) {
    if (flow_)
      throw UserError("coprocessor.program isa runs on the packet model; platform.emulation.network_model flow moves "
                      "no descriptors (use packet)");
    // A signal carries no bytes: it takes its path's latency (NVLink; else the sender's NIC, relayed over
    // NVLink when that NIC is down, the switch hops, and the relay to a destination on another plane).
    const sc_time nvl = microseconds(platform.node.nvlink_latency_us), nic_latency = microseconds(platform.nic.latency_us),
                  hop = microseconds(platform.fabric.switch_latency_us);
    const IbFabric* fabric = fabric_.get();
    const FaultState* faults = &faults_;
    auto latency = [=](int src, int dst) {
      if (src == dst) return sc_core::SC_ZERO_TIME;
      if (src / per_node == dst / per_node) return nvl;
      const int landing = fabric->landing_gpu(src, dst);
      return nic_latency + hop * static_cast<double>(fabric->switch_hops(src, landing)) +
             (landing != dst ? nvl : sc_core::SC_ZERO_TIME) + (faults->nic_ok(src) ? sc_core::SC_ZERO_TIME : nvl);
    };
    registry_.use_isa_programs();
    for (auto& g : gpus_) g->use_isa_programs(latency);
  }
  // Wiring: multi-socket ports are bound in GPU order, so port i of a switch is in-node GPU i and
  // port g of the fabric is GPU g's NIC.
  for (int g = 0; g < gpus; ++g) {
    Gpu& gpu = *gpus_[static_cast<size_t>(g)];
    NvSwitch& sw = *switches_[static_cast<size_t>(g / per_node)];
    Nic& nic = *nics_[static_cast<size_t>(g)];
    gpu.nvlink.bind(sw.in);
    sw.out.bind(gpu.rx);
    gpu.nic.bind(nic.from_gpu);
    nic.to_fabric.bind(fabric_->in);
    fabric_->out.bind(nic.from_fabric);
    nic.to_gpu.bind(gpu.rx);
  }
  // Failed parts refuse traffic (a transfer that still reaches one is a modelling bug); degraded ones
  // run slower.
  for (int g = 0; g < gpus; ++g) {
    if (!faults_.nic_ok(g)) {
      nics_[static_cast<size_t>(g)]->tx().degrade(0);
      nics_[static_cast<size_t>(g)]->rx().degrade(0);
    }
    if (faults_.nvlink_factor(g) < 1.0) {
      switches_[static_cast<size_t>(g / per_node)]->tx(g % per_node).degrade(faults_.nvlink_factor(g));
      switches_[static_cast<size_t>(g / per_node)]->rx(g % per_node).degrade(faults_.nvlink_factor(g));
    }
  }
  tlm_utils::tlm_quantumkeeper::set_global_quantum(microseconds(platform.emulation.quantum_us));
}

std::string Cluster::run() {
  const sc_time limit = sc_time(platform_.emulation.watchdog_ms, sc_core::SC_MS);
  // Stop when no event is left (a finished or deadlocked run), so that the simulated time is the
  // end of the step (or of the last activity), not the watchdog limit; the limit still stops a run
  // that keeps going, at the limit.
  sc_core::sc_start(limit, sc_core::SC_EXIT_ON_STARVATION);
  std::vector<std::string> stuck;
  for (const auto& g : gpus_)
    if (!g->finished()) stuck.push_back(fmt::format("gpu{} waits for {}", g->gpu_id(), g->waiting_on()));
  if (stuck.empty()) return {};
  // Events still pending: the run was cut off by the watchdog; none: nothing can ever happen again.
  const bool hung = sc_core::sc_pending_activity() || sc_core::sc_time_stamp() >= limit;
  std::string list;
  for (size_t i = 0; i < stuck.size() && i < 8; ++i) list += "\n  " + stuck[i];
  if (stuck.size() > 8) list += fmt::format("\n  ... and {} more GPUs", stuck.size() - 8);
  return hung ? fmt::format("emulation stopped by the watchdog at {} ms of simulated time "
                                     "(platform.emulation.watchdog_ms); {} GPUs unfinished:{}",
                                     platform_.emulation.watchdog_ms, stuck.size(), list)
                       : fmt::format("emulation deadlocked at {:.3f} us: no event left, {} GPUs unfinished:{}",
                                     to_us(sc_core::sc_time_stamp()), stuck.size(), list);
}

}  // namespace hwlab::emulator

// The cluster model of one run, wired from the configs: GPUs (with their communication engines),
// one NVSwitch per node, one NIC per GPU, and the IB fabric; then run to completion or to the
// watchdog. Elaborate and run once per process (SystemC allows one simulation per process; see
// emulate.h for running it in a child process).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "common/config/platform.h"
#include "common/config/proposal.h"
#include "emulator/comm/flow_engine.h"
#include "emulator/comm/phase_registry.h"
#include "emulator/flow/flow_network.h"
#include "emulator/gpu/compute_model.h"
#include "emulator/gpu/gpu.h"
#include "emulator/moe/schedule.h"
#include "emulator/net/ib_fabric.h"
#include "emulator/net/nic.h"
#include "emulator/net/nvswitch.h"
#include "workloads/workload_config.h"

namespace hwlab::emulator {

// Largest hidden size functional mode accepts (its memory holds G x T rows per GPU, sparsely).
inline constexpr int kFunctionalMaxHidden = 1024;

struct EmulationOptions {
  int layers = 0;          // MoE layers to run (0: all of the model's)
  bool comm_only = false;  // one dispatch + combine, no compute (communication benchmarks)
  // Also run every phase's co-processor programs on the ISA executor with real bytes and check them
  // (PhaseRegistry, isa/moe/moe_check.h); for small hidden sizes.
  bool functional = false;
  // A collective benchmark: this plan instead of the workload's routing, run as one dispatch.
  PlanOverride collective_plan;
};

class Cluster : public sc_core::sc_module {
 public:
  Cluster(sc_core::sc_module_name name, const config::PlatformConfig& platform,
          const workloads::WorkloadConfig& workload, const std::optional<config::ProposalConfig>& proposal,
          const EmulationOptions& options);

  // Runs until every GPU has finished (returns ""), or stops and returns the report naming the stuck
  // GPUs and what they wait for (deadlock) or the watchdog limit (hung). It does not throw for a
  // stopped run: the caller must not unwind the suspended SystemC threads (see emulate.cpp).
  std::string run();

  const std::vector<std::unique_ptr<Gpu>>& gpus() const { return gpus_; }
  const std::vector<std::unique_ptr<NvSwitch>>& switches() const { return switches_; }
  const std::vector<std::unique_ptr<Nic>>& nics() const { return nics_; }
  const IbFabric* fabric() const { return fabric_.get(); }
  int layers() const { return layers_; }
  int comm_sms() const { return comm_sms_; }
  bool comm_only() const { return comm_only_; }
  bool coprocessor() const { return coprocessor_; }
  const workloads::WorkloadConfig& workload() const { return workload_; }
  const PhaseRegistry& registry() const { return registry_; }
  const config::PlatformConfig& platform() const { return platform_; }
  // The flow-level network model, when platform.emulation.network_model is flow (else null).
  const FlowEngine* flow() const { return flow_.get(); }
  const FlowNetwork& flow_network() const { return *flow_network_; }

 private:
  const config::PlatformConfig& platform_;
  const workloads::WorkloadConfig& workload_;
  int layers_;
  bool comm_only_;
  bool coprocessor_;
  int comm_sms_;
  FaultState faults_;
  ComputeModel compute_;
  PhaseRegistry registry_;
  StreamPlan streams_;
  std::vector<std::unique_ptr<Gpu>> gpus_;
  std::vector<std::unique_ptr<NvSwitch>> switches_;
  std::vector<std::unique_ptr<Nic>> nics_;
  std::unique_ptr<IbFabric> fabric_;
  std::unique_ptr<FlowNetwork> flow_network_;
  std::unique_ptr<FlowEngine> flow_;
};

}  // namespace hwlab::emulator

// The emulated nccl-tests table: an alltoall or alltoallv of each size over N GPUs of a platform
// (+ proposal), one emulation per size, with the same message sizes as `hwlab measure collective`
// (workloads/collective_sizes.h) so the two tables can be put side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/platform.h"
#include "common/config/proposal.h"
#include "common/result.h"
#include "emulator/flow/flow_alltoall.h"

namespace hwlab::emulator {

struct CollectiveSpec {
  std::string op = "alltoall";  // alltoall | alltoallv
  int gpus = 0;
  std::vector<uint64_t> sizes;  // bytes per rank
  int sms = 0;                  // SMs of the communication kernel (SM-driven, when no co-processor)
  int element_bytes = 4;        // float, as nccl-tests
  bool flow_model = false;      // the flow-level model (flow/flow_alltoall.h) instead of the SystemC packet model
};

// With spec.flow_model, `flow` (when given) receives each row's estimate (bottleneck and its load).
std::vector<CollectiveRow> emulate_collective(const config::PlatformConfig& platform,
                                              const std::optional<config::ProposalConfig>& proposal,
                                              const CollectiveSpec& spec, std::vector<FlowEstimate>* flow = nullptr);

}  // namespace hwlab::emulator

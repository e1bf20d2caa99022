// A flow-level (fluid) model of an all-to-all exchange, for fabrics too large for the packet model
// (`hwlab emulate collective --model flow`): every peer transfer's load on the packet model's
// resources (flow_network.h), the time from the busiest one. A work-conserving exchange whose load is
// spread evenly over time ends within a few per cent of the packet model; what it cannot see is
// transient contention (incast waves, the order senders visit peers in, the tail of uneven streams).
// papers/validation/flow-model.md holds it to the packet model. No SystemC: arithmetic over G^2
// pairs in O(G) memory. Link faults are not modelled (UserError).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "common/config/platform.h"
#include "common/config/proposal.h"
#include "emulator/flow/flow_network.h"

namespace hwlab::emulator {

struct FlowExchange {
  // Fills row[dst] (gpus entries) with the elements `src` sends to each GPU; the diagonal stays local.
  // Rows, not the G^2 matrix: 2 GiB at 16 384 GPUs.
  std::function<void(int src, uint64_t* row)> send_counts;
  int gpus = 0, gpus_per_node = 0;
  int element_bytes = 4;
  int comm_sms = 0;  // SMs of the SM-driven exchange (ignored with a co-processor)
};

// Throws UserError on what the flow model does not cover (link faults) or a malformed exchange.
FlowEstimate estimate_alltoall_flow(const config::PlatformConfig& platform,
                                    const std::optional<config::ProposalConfig>& proposal, const FlowExchange& x);

}  // namespace hwlab::emulator

// A flow-level (fluid) model of an all-to-all exchange, for fabrics too large for the packet model
// (`hwlab emulate collective --model flow`): instead of booking every chunk on every hop, it adds
// up what each resource of the packet model has to carry (per-GPU SM roles or DMA engines, NVLink
// ports, NICs, leaf up/down aggregates, the in-node relay of cross-plane traffic) from the traffic
// matrix, and takes the exchange's time from the busiest one:
//
//   time = max over resources r of  busy_r + fill_r
//   busy_r = bytes_r / rate_r + chunks_r x per-chunk cost_r      (SM roles: chunk_overhead_us / k)
//   fill_r = the fixed latencies of the longest path (NVLink; NIC + switch hops; cross-plane relay)
//            + one chunk through the store-and-forward receive role (or, when r is that role, one
//              chunk through the slowest cut-through stage before it)
//
// The same paths, rates and chunking as the packet model (emulator/net, comm/issue_model.h), so a
// work-conserving exchange whose load is spread evenly over time ends within a few per cent of it;
// what it cannot see is transient contention (incast waves, the order senders visit peers in, the
// tail of uneven streams). papers/validation/flow-model.md holds it to the packet model.
// No SystemC: arithmetic over G^2 pairs in O(G) memory. Faults are not modelled
// (the caller refuses them).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config/platform.h"
#include "common/config/proposal.h"

namespace hwlab::emulator {

struct FlowExchange {
  // Fills row[dst] (gpus entries) with the elements `src` sends to each GPU; the diagonal stays local.
  // Rows, not the G^2 matrix: 2 GiB at 16 384 GPUs.
  std::function<void(int src, uint64_t* row)> send_counts;
  int gpus = 0, gpus_per_node = 0;
  int element_bytes = 4;
  int comm_sms = 0;  // SMs of the SM-driven exchange (ignored with a co-processor)
};

struct FlowResourceLoad {
  std::string name;  // as the packet model names its servers, e.g. "gpu17.nic.tx", "plane3.leaf0.up"
  double GBps = 0;
  uint64_t bytes = 0, chunks = 0;
  double busy_us = 0, fill_us = 0;
  double end_us() const { return busy_us + fill_us; }
};

struct FlowEstimate {
  double time_us = 0;
  FlowResourceLoad bottleneck;  // the resource that sets time_us
  uint64_t nvlink_bytes = 0, ib_bytes = 0, relayed_bytes = 0;  // totals over all GPUs
};

// Throws UserError on what the flow model does not cover (faults) or a malformed exchange.
FlowEstimate estimate_alltoall_flow(const config::PlatformConfig& platform,
                                    const std::optional<config::ProposalConfig>& proposal, const FlowExchange& x);

}  // namespace hwlab::emulator

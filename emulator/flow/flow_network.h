// The flow-level network model's core: what every resource of the packet model (emulator/net,
// comm/issue_model.h) carries in one exchange, added up transfer by transfer, and the exchange's time
// from the busiest resource:
//
//   time = max over resources r of  busy_r + fill_r
//   busy_r = bytes_r / rate_r + chunks_r x per-chunk cost_r      (SM roles: chunk_overhead_us / k)
//   fill_r = one chunk's way along the longest path through r, less r's own share of it
//
// A path is the packet model's: a cut-through front (the sender's SM role or DMA engine, then its
// NVLink port or NIC: the slower sets it), fixed latencies (NVLink; NIC + switch hops; co-processor
// issue), then the store-and-forward stages (the in-node relay of IB traffic that landed on another
// plane's NIC, a forwarder's NVLink scatter, a forwarder's join and reduction, the receiver's
// copy-out or reduction). Used by flow_alltoall.h (collectives) and flow_phase.h (MoE phases).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config/platform.h"
#include "common/config/proposal.h"

namespace hwlab::emulator {

// Per-GPU work of the communication engine (SM roles, or the co-processor's DMA engines and reduce unit).
enum class FlowRole : size_t { send_nvlink, send_ib, forward, receive, reduce };
inline constexpr size_t kFlowRoles = 5;

// The kinds of path a transfer takes.
enum class FlowPath : size_t {
  nvlink,      // over the sender's NVLink port to a GPU of its node
  ib,          // over IB, landing on the destination's NIC
  ib_relayed,  // over IB, landing on another plane's NIC of the node, relayed over NVLink
  forwarded,   // over IB to a forwarder, which scatters it over NVLink (dispatch)
  joined,      // over NVLink to a forwarder, joined and reduced there, then over IB (combine)
};
inline constexpr size_t kFlowPaths = 5;

// Rates, latencies and topology of one run, as the packet model builds them.
class FlowNetwork {
 public:
  // Throws UserError on faults (not modelled) or an SM-driven run without SMs.
  FlowNetwork(const config::PlatformConfig& platform, const std::optional<config::ProposalConfig>& proposal, int gpus,
              int gpus_per_node, int comm_sms);

  int gpus() const { return gpus_; }
  int gpus_per_node() const { return per_node_; }
  bool coprocessor() const { return coproc_; }
  // Where an IB transfer from src for dst lands (IbFabric::landing_gpu without faults).
  int landing(int src, int dst) const {
    if (plane_[static_cast<size_t>(dst)] == plane_[static_cast<size_t>(src)]) return dst;
    return dst / per_node_ * per_node_ + plane_[static_cast<size_t>(src)];
  }
  size_t leaf_index(int g) const {
    return static_cast<size_t>(plane_[static_cast<size_t>(g)] * leaves_per_plane_ + leaf_[static_cast<size_t>(g)]);
  }
  size_t leaves() const { return static_cast<size_t>(planes_ * leaves_per_plane_); }
  int plane_of_leaf(size_t leaf_index) const { return static_cast<int>(leaf_index) / leaves_per_plane_; }
  int leaf_in_plane(size_t leaf_index) const { return static_cast<int>(leaf_index) % leaves_per_plane_; }
  bool same_leaf(int a, int b) const { return leaf_[static_cast<size_t>(a)] == leaf_[static_cast<size_t>(b)]; }

  // Rate of a role on one GPU (GB/s; the co-processor: the DMA pool, or the reduce unit), per-chunk cost (us).
  double role_GBps(FlowRole r) const;
  double role_chunk_us(FlowRole r) const;  // fixed cost per chunk (SM roles)
  // The time one chunk of `bytes` occupies a role (the co-processor: one DMA engine).
  double role_one_chunk_us(FlowRole r, uint64_t bytes) const;
  bool role_costs(FlowRole r) const;  // false: the co-processor does no copy-out on receive

  double nvlink_GBps = 0, nic_GBps = 0, leaf_GBps = 0;
  double nvlink_latency_us = 0, nic_latency_us = 0, switch_latency_us = 0, issue_us = 0;
  int tiers = 2, dma_engines = 0;
  double dma_engine_GBps = 0, command_slots = 0;

 private:
  int gpus_ = 0, per_node_ = 0, planes_ = 1, leaves_per_plane_ = 1;
  bool coproc_ = false;
  std::array<double, kFlowRoles> role_GBps_{};
  double sm_chunk_us_ = 0;
  std::vector<int> leaf_, plane_;
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

// Per-GPU busy time of each resource, for link and engine utilisation.
struct FlowBusy {
  std::vector<double> nvlink_tx_us, nvlink_rx_us, nic_tx_us, nic_rx_us;  // [gpu]
  std::array<std::vector<double>, kFlowRoles> role_us;                   // [role][gpu]
};

// What one exchange puts on every resource. Integers: exact, whatever the order transfers are added in.
class FlowLoads {
 public:
  explicit FlowLoads(const FlowNetwork& net);

  // `bytes` in `chunks` (the largest `chunk_bytes`) from s to d: issued by `role` on s (a command-queue
  // slot each when `queued`), over NVLink (same node) or IB (landing and relay as the fabric does),
  // then `at_dst` on d (none: d only passes it on). `path` names the path class for the fill; for
  // plain transfers it is nvlink or ib (ib_relayed is chosen here when the transfer is relayed).
  void transfer(int s, int d, uint64_t bytes, uint64_t chunks, uint64_t chunk_bytes, FlowRole role,
                std::optional<FlowRole> at_dst, FlowPath path, bool queued);
  // g sends its part of the phase in `rounds` rounds of one window per stream (the engine's loop): a
  // forwarder's first join waits for one round of every contributor (joined path).
  void set_rounds(int g, int rounds) { rounds_[static_cast<size_t>(g)] = rounds; }
  // Work on g without a link: a forwarder's own copies (`path` forwarded), a join's reduction (joined).
  void work(int g, FlowRole role, uint64_t bytes, uint64_t chunks, uint64_t chunk_bytes, FlowPath path);

  FlowEstimate evaluate() const;
  FlowBusy busy() const;
  // Bytes each GPU put on its NVLink port and its NIC (relays and forwards counted where they leave).
  uint64_t nvlink_sent(int g) const { return nvl_sent_[static_cast<size_t>(g)]; }
  uint64_t ib_sent(int g) const { return ib_sent_[static_cast<size_t>(g)]; }
  const FlowNetwork& network() const { return net_; }

 private:
  using PathTimes = std::array<double, kFlowPaths>;
  PathTimes path_times() const;
  double path_us(FlowPath p, double round_us) const;
  double path_through(const PathTimes& t, unsigned mask) const;
  double send_busy_us(size_t g) const;  // the time g's sends occupy its engine

  const FlowNetwork& net_;
  std::array<std::vector<uint64_t>, kFlowRoles> role_b_, role_c_;
  std::vector<uint64_t> queued_c_, nvl_tx_b_, nvl_rx_b_, nic_tx_b_, nic_rx_b_, leaf_up_b_, leaf_down_b_;
  std::vector<uint64_t> nvl_sent_, ib_sent_;
  // Which paths use each resource kind (bit per FlowPath), the largest chunk each kind and path saw.
  std::array<unsigned, kFlowRoles> role_paths_{};
  unsigned nvl_paths_ = 0, nic_paths_ = 0, queue_paths_ = 0;
  std::array<uint64_t, kFlowRoles> role_chunk_{};
  uint64_t nvl_chunk_ = 0, nic_chunk_ = 0;
  std::array<uint64_t, kFlowPaths> path_chunk_{};
  std::array<std::optional<FlowRole>, kFlowPaths> path_src_role_{}, path_dst_role_{};
  uint64_t join_chunk_ = 0;  // the largest join a forwarder reduces (joined path)
  std::vector<int> rounds_;  // [gpu], 0: not set
  unsigned present_ = 0;
  bool cross_leaf_ = false;
  uint64_t nvlink_bytes_ = 0, ib_bytes_ = 0, relayed_bytes_ = 0;
};

}  // namespace hwlab::emulator

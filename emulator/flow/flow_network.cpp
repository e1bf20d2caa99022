#include "emulator/flow/flow_network.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::emulator {

namespace {

double us_for(uint64_t bytes, double GBps) { return static_cast<double>(bytes) / (GBps * 1e3); }  // 1 GB/s = 1e3 B/us
unsigned bit(FlowPath p) { return 1u << static_cast<unsigned>(p); }
size_t idx(FlowRole r) { return static_cast<size_t>(r); }

}  // namespace

FlowNetwork::FlowNetwork(const config::PlatformConfig& p, const std::optional<config::ProposalConfig>& proposal,
                         int gpus, int gpus_per_node, int comm_sms)
    : gpus_(gpus), per_node_(gpus_per_node), planes_(p.fabric.planes), coproc_(proposal && proposal->coprocessor) {
  if (p.faults && (!p.faults->nic_down.empty() || !p.faults->nvlink_degraded.empty()))
    throw UserError("the flow model does not model link faults (platform.faults.nic_down or nvlink_degraded is set); "
                    "run them with the packet model");
  if (gpus < 1 || gpus_per_node < 1) throw UserError(fmt::format("flow model: {} GPUs, {} per node", gpus, gpus_per_node));
  if (!coproc_ && comm_sms < 1) throw UserError("flow model: the SM-driven exchange needs at least one SM");
  nvlink_GBps = p.node.nvlink_achievable_GBps;
  nic_GBps = p.nic.achievable_GBps * p.nic.count_per_gpu;
  leaf_GBps = (p.fabric.switch_radix / 2) * p.nic.link_GBps * p.nic.count_per_gpu;
  nvlink_latency_us = p.node.nvlink_latency_us;
  nic_latency_us = p.nic.latency_us;
  switch_latency_us = p.fabric.switch_latency_us;
  tiers = p.fabric.tiers;
  if (coproc_) {
    const config::CoprocessorSpec& c = *proposal->coprocessor;
    issue_us = c.issue_latency_us;
    dma_engines = c.dma_engines;
    dma_engine_GBps = c.dma_engine_GBps;
    command_slots = static_cast<double>(c.command_queues) * static_cast<double>(c.queue_depth);
    for (FlowRole r : {FlowRole::send_nvlink, FlowRole::send_ib, FlowRole::forward}) role_GBps_[idx(r)] = dma_engines * dma_engine_GBps;
    role_GBps_[idx(FlowRole::reduce)] = c.reduce_GBps;
  } else {
    const double k = comm_sms;
    sm_chunk_us_ = p.comm_sm.chunk_overhead_us / k;
    role_GBps_[idx(FlowRole::send_nvlink)] = k * p.comm_sm.nvlink_send_GBps_per_sm;
    role_GBps_[idx(FlowRole::send_ib)] = k * p.comm_sm.ib_send_GBps_per_sm;
    role_GBps_[idx(FlowRole::forward)] = k * p.comm_sm.forward_GBps_per_sm;
    role_GBps_[idx(FlowRole::receive)] = k * p.comm_sm.receive_GBps_per_sm;
    role_GBps_[idx(FlowRole::reduce)] = k * p.comm_sm.reduce_GBps_per_sm;
  }
  // Hosts of a plane are numbered node by node; hosts_per_leaf of them share a leaf (IbFabric).
  const int per_node_on_plane = std::max(1, per_node_ / planes_);
  const int hosts_per_leaf = p.fabric.switch_radix / 2;
  const int nodes = (gpus + per_node_ - 1) / per_node_;
  leaves_per_plane_ = (nodes * per_node_on_plane + hosts_per_leaf - 1) / hosts_per_leaf;
  leaf_.resize(static_cast<size_t>(gpus));
  plane_.resize(static_cast<size_t>(gpus));
  for (int g = 0; g < gpus; ++g) {
    const int local = g % per_node_;
    plane_[static_cast<size_t>(g)] = local % planes_;
    leaf_[static_cast<size_t>(g)] = (g / per_node_ * per_node_on_plane + local / planes_) / hosts_per_leaf;
  }
}

double FlowNetwork::role_GBps(FlowRole r) const { return role_GBps_[idx(r)]; }
double FlowNetwork::role_chunk_us(FlowRole) const { return sm_chunk_us_; }
bool FlowNetwork::role_costs(FlowRole r) const { return !(coproc_ && r == FlowRole::receive); }
double FlowNetwork::role_one_chunk_us(FlowRole r, uint64_t bytes) const {
  if (!role_costs(r)) return 0.0;
  // A co-processor's transfer runs on one DMA engine.
  const bool dma = coproc_ && r != FlowRole::reduce;
  return us_for(bytes, dma ? dma_engine_GBps : role_GBps(r)) + sm_chunk_us_;
}

FlowLoads::FlowLoads(const FlowNetwork& net) : net_(net) {
  const auto G = static_cast<size_t>(net.gpus());
  for (size_t r = 0; r < kFlowRoles; ++r) {
    role_b_[r].assign(G, 0);
    role_c_[r].assign(G, 0);
  }
  for (auto* v : {&queued_c_, &nvl_tx_b_, &nvl_rx_b_, &nic_tx_b_, &nic_rx_b_, &nvl_sent_, &ib_sent_}) v->assign(G, 0);
  rounds_.assign(G, 0);
  leaf_up_b_.assign(net.leaves(), 0);
  leaf_down_b_.assign(net.leaves(), 0);
}

void FlowLoads::work(int g, FlowRole role, uint64_t bytes, uint64_t chunks, uint64_t chunk_bytes, FlowPath path) {
  const auto i = static_cast<size_t>(g);
  role_b_[idx(role)][i] += bytes;
  role_c_[idx(role)][i] += chunks;
  role_chunk_[idx(role)] = std::max(role_chunk_[idx(role)], chunk_bytes);
  role_paths_[idx(role)] |= bit(path);
  if (path == FlowPath::joined && role == FlowRole::reduce) join_chunk_ = std::max(join_chunk_, chunk_bytes);
}

void FlowLoads::transfer(int s, int d, uint64_t bytes, uint64_t chunks, uint64_t chunk_bytes, FlowRole role,
                         std::optional<FlowRole> at_dst, FlowPath path, bool queued) {
  const auto si = static_cast<size_t>(s);
  const bool same_node = s / net_.gpus_per_node() == d / net_.gpus_per_node();
  unsigned uses = bit(path);
  // One hop through the NVSwitch: the sender's port out, the receiver's port in.
  auto nvlink_hop = [&](int from, int to) {
    nvl_tx_b_[static_cast<size_t>(from)] += bytes;
    nvl_rx_b_[static_cast<size_t>(to)] += bytes;
    nvl_sent_[static_cast<size_t>(from)] += bytes;
    nvl_paths_ |= uses;
    nvl_chunk_ = std::max(nvl_chunk_, chunk_bytes);
  };
  if (same_node) {
    nvlink_hop(s, d);
    nvlink_bytes_ += bytes;
  } else {
    const int land = net_.landing(s, d);
    const auto li = static_cast<size_t>(land);
    if (land != d && path == FlowPath::ib) {
      path = FlowPath::ib_relayed;
      uses = bit(path);
    }
    nic_tx_b_[si] += bytes;
    nic_rx_b_[li] += bytes;
    ib_sent_[si] += bytes;
    ib_bytes_ += bytes;
    nic_paths_ |= uses;
    nic_chunk_ = std::max(nic_chunk_, chunk_bytes);
    if (!net_.same_leaf(s, land)) {
      // As IbFabric: the sender's leaf up-link and the landing GPU's leaf down-link, both on the
      // sender's plane (the landing GPU is on it by construction).
      leaf_up_b_[net_.leaf_index(s)] += bytes;
      leaf_down_b_[net_.leaf_index(land)] += bytes;
      cross_leaf_ = true;
    }
    if (land != d) {
      // Landed on another plane's NIC: relayed over NVLink inside the node (no engine work).
      nvlink_hop(land, d);
      relayed_bytes_ += bytes;
    }
  }
  work(s, role, bytes, chunks, chunk_bytes, path);
  if (queued) {
    queued_c_[si] += chunks;
    queue_paths_ |= uses;
  }
  if (at_dst) work(d, *at_dst, bytes, chunks, chunk_bytes, path);
  present_ |= uses;
  path_chunk_[static_cast<size_t>(path)] = std::max(path_chunk_[static_cast<size_t>(path)], chunk_bytes);
  path_src_role_[static_cast<size_t>(path)] = role;
  if (at_dst) path_dst_role_[static_cast<size_t>(path)] = *at_dst;
}

double FlowLoads::send_busy_us(size_t g) const {
  const FlowNetwork& n = net_;
  if (n.coprocessor()) {
    uint64_t b = 0;
    for (FlowRole r : {FlowRole::send_nvlink, FlowRole::send_ib, FlowRole::forward}) b += role_b_[idx(r)][g];
    return us_for(b, n.role_GBps(FlowRole::send_nvlink));
  }
  double us = 0;
  for (FlowRole r : {FlowRole::send_nvlink, FlowRole::send_ib, FlowRole::forward})
    if (role_b_[idx(r)][g] > 0)
      us = std::max(us, us_for(role_b_[idx(r)][g], n.role_GBps(r)) +
                            static_cast<double>(role_c_[idx(r)][g]) * n.role_chunk_us(r));
  return us;
}

FlowLoads::PathTimes FlowLoads::path_times() const {
  // One round of the busiest sender: what a forwarder's first join waits for.
  double round_us = 0;
  for (size_t g = 0; g < rounds_.size(); ++g)
    if (rounds_[g] > 0) round_us = std::max(round_us, send_busy_us(g) / rounds_[g]);
  PathTimes t{};
  for (size_t p = 0; p < kFlowPaths; ++p)
    if ((present_ & (1u << p)) != 0) t[p] = path_us(static_cast<FlowPath>(p), round_us);
  return t;
}

double FlowLoads::path_us(FlowPath p, double round_us) const {
  const auto pi = static_cast<size_t>(p);
  const uint64_t b = path_chunk_[pi];
  const FlowNetwork& n = net_;
  const int hops = cross_leaf_ ? (n.tiers >= 3 ? 5 : 3) : 1;
  const double ib_fixed = n.nic_latency_us + hops * n.switch_latency_us;
  auto one = [&](FlowRole r, uint64_t bytes) { return n.role_one_chunk_us(r, bytes); };
  switch (p) {
    case FlowPath::nvlink:
    case FlowPath::ib:
    case FlowPath::ib_relayed: {
      const bool nvl = p == FlowPath::nvlink;
      const double sender = path_src_role_[pi] ? one(*path_src_role_[pi], b) : 0.0;
      const double front = std::max(sender, us_for(b, nvl ? n.nvlink_GBps : n.nic_GBps));
      double fixed = n.issue_us + (nvl ? n.nvlink_latency_us : ib_fixed);
      double after = path_dst_role_[pi] ? one(*path_dst_role_[pi], b) : 0.0;
      if (p == FlowPath::ib_relayed) {
        fixed += n.nvlink_latency_us;
        after += us_for(b, n.nvlink_GBps);
      }
      return front + fixed + after;
    }
    case FlowPath::forwarded:  // IB to the forwarder, then its NVLink scatter (a second issue on a co-processor)
      return std::max(one(FlowRole::send_ib, b), us_for(b, n.nic_GBps)) + n.issue_us + ib_fixed +
             std::max(one(FlowRole::forward, b), us_for(b, n.nvlink_GBps)) + n.issue_us + n.nvlink_latency_us +
             one(FlowRole::receive, b);
    case FlowPath::joined:  // every contributor's round, the join's reduction, IB back, the owner's reduction
      return std::max({round_us, one(FlowRole::send_nvlink, b), us_for(b, n.nvlink_GBps)}) + n.issue_us + n.nvlink_latency_us +
             one(FlowRole::reduce, join_chunk_) + std::max(one(FlowRole::send_ib, b), us_for(b, n.nic_GBps)) +
             n.issue_us + ib_fixed + one(FlowRole::reduce, b);
  }
  return 0.0;
}

double FlowLoads::path_through(const PathTimes& t, unsigned mask) const {
  double m = 0;
  for (size_t p = 0; p < kFlowPaths; ++p)
    if ((mask & present_ & (1u << p)) != 0) m = std::max(m, t[p]);
  return m;
}

FlowEstimate FlowLoads::evaluate() const {
  const FlowNetwork& n = net_;
  const PathTimes paths = path_times();
  auto path_through = [&](unsigned mask) { return this->path_through(paths, mask); };
  FlowEstimate best;
  bool any = false;
  // `name` is formatted only for a resource that becomes the bottleneck (there are ~8 per GPU).
  auto consider = [&](auto name, double GBps, uint64_t bytes, uint64_t chunks, double busy_us, double fill_us) {
    fill_us = std::max(0.0, fill_us);
    if (bytes == 0 || (any && busy_us + fill_us <= best.bottleneck.end_us())) return;
    any = true;
    best.bottleneck = {name(), GBps, bytes, chunks, busy_us, fill_us};
  };
  // A server of `GBps` with a fixed cost per chunk: busy for all its chunks, then the rest of the way
  // of the last one (its path less its own share of it).
  auto server = [&](auto name, double GBps, uint64_t bytes, uint64_t chunks, double per_chunk_us, uint64_t chunk_bytes,
                    unsigned paths) {
    if (bytes == 0) return;
    const double busy = us_for(bytes, GBps) + static_cast<double>(chunks) * per_chunk_us;
    consider(name, GBps, bytes, chunks, busy, path_through(paths) - (us_for(chunk_bytes, GBps) + per_chunk_us));
  };
  static const char* const kRoleNames[kFlowRoles] = {"nvlink_send", "ib_send", "forward", "receive", "reduce"};
  const size_t send_roles[] = {idx(FlowRole::send_nvlink), idx(FlowRole::send_ib), idx(FlowRole::forward)};
  unsigned dma_paths = 0;
  uint64_t dma_chunk = 0;
  for (size_t r : send_roles) {
    dma_paths |= role_paths_[r];
    dma_chunk = std::max(dma_chunk, role_chunk_[r]);
  }
  const double pool_GBps = n.dma_engines * n.dma_engine_GBps;
  for (int g = 0; g < n.gpus(); ++g) {
    const auto i = static_cast<size_t>(g);
    auto named = [g](const char* what) { return [g, what] { return fmt::format("gpu{}.{}", g, what); }; };
    if (n.coprocessor()) {
      uint64_t out_b = 0, out_c = 0;
      for (size_t r : send_roles) {
        out_b += role_b_[r][i];
        out_c += role_c_[r][i];
      }
      // The pool moves engines x one engine's rate; a single chunk runs on one engine.
      if (out_b > 0)
        consider(named("coproc.dma"), pool_GBps, out_b, out_c, us_for(out_b, pool_GBps),
                 path_through(dma_paths) - us_for(dma_chunk, n.dma_engine_GBps));
      // Command queues: a descriptor holds its slot from issue until its last byte lands, so at most
      // `slots` chunks are in flight (Little's law with the unloaded residence of a chunk).
      if (queued_c_[i] > 0) {
        const double residence = path_through(queue_paths_);
        consider(named("coproc.queues"), 0.0, out_b, queued_c_[i],
                 static_cast<double>(queued_c_[i]) * residence / n.command_slots, residence - residence / n.command_slots);
      }
      const size_t red = idx(FlowRole::reduce);
      server(named("coproc.reduce"), n.role_GBps(FlowRole::reduce), role_b_[red][i], role_c_[red][i], 0.0,
             role_chunk_[red], role_paths_[red]);
    } else {
      for (size_t r = 0; r < kFlowRoles; ++r) {
        const auto role = static_cast<FlowRole>(r);
        server([g, r] { return fmt::format("gpu{}.sm.{}", g, kRoleNames[r]); }, n.role_GBps(role), role_b_[r][i],
               role_c_[r][i], n.role_chunk_us(role), role_chunk_[r], role_paths_[r]);
      }
    }
    server(named("nvlink.tx"), n.nvlink_GBps, nvl_tx_b_[i], 0, 0.0, nvl_chunk_, nvl_paths_);
    server(named("nvlink.rx"), n.nvlink_GBps, nvl_rx_b_[i], 0, 0.0, nvl_chunk_, nvl_paths_);
    server(named("nic.tx"), n.nic_GBps, nic_tx_b_[i], 0, 0.0, nic_chunk_, nic_paths_);
    server(named("nic.rx"), n.nic_GBps, nic_rx_b_[i], 0, 0.0, nic_chunk_, nic_paths_);
  }
  for (size_t l = 0; l < n.leaves(); ++l)
    for (const char* dir : {"up", "down"})
      server([&n, l, dir] { return fmt::format("plane{}.leaf{}.{}", n.plane_of_leaf(l), n.leaf_in_plane(l), dir); },
             n.leaf_GBps, (dir[0] == 'u' ? leaf_up_b_ : leaf_down_b_)[l], 0, 0.0, nic_chunk_, nic_paths_);
  if (!any) best.bottleneck.name = "none (nothing crosses a link)";
  best.time_us = best.bottleneck.end_us();
  best.nvlink_bytes = nvlink_bytes_;
  best.ib_bytes = ib_bytes_;
  best.relayed_bytes = relayed_bytes_;
  return best;
}

FlowBusy FlowLoads::busy() const {
  const FlowNetwork& n = net_;
  const auto G = static_cast<size_t>(n.gpus());
  FlowBusy b;
  for (auto* v : {&b.nvlink_tx_us, &b.nvlink_rx_us, &b.nic_tx_us, &b.nic_rx_us}) v->assign(G, 0.0);
  for (auto& v : b.role_us) v.assign(G, 0.0);
  for (size_t i = 0; i < G; ++i) {
    b.nvlink_tx_us[i] = us_for(nvl_tx_b_[i], n.nvlink_GBps);
    b.nvlink_rx_us[i] = us_for(nvl_rx_b_[i], n.nvlink_GBps);
    b.nic_tx_us[i] = us_for(nic_tx_b_[i], n.nic_GBps);
    b.nic_rx_us[i] = us_for(nic_rx_b_[i], n.nic_GBps);
    for (size_t r = 0; r < kFlowRoles; ++r) {
      const auto role = static_cast<FlowRole>(r);
      if (!n.role_costs(role) || role_b_[r][i] == 0) continue;
      b.role_us[r][i] = us_for(role_b_[r][i], n.role_GBps(role)) + static_cast<double>(role_c_[r][i]) * n.role_chunk_us(role);
    }
  }
  return b;
}

}  // namespace hwlab::emulator

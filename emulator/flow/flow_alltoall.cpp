#include "emulator/flow/flow_alltoall.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::emulator {

namespace {

// The three kinds of path a transfer of the exchange takes (the packet model's, see emulator/net).
enum PathClass : size_t { kNvlink = 0, kIb = 1, kIbRelayed = 2, kPathClasses = 3 };

double us_for(uint64_t bytes, double GBps) { return static_cast<double>(bytes) / (GBps * 1e3); }  // 1 GB/s = 1e3 B/us

// Totals per resource kind, summed over the traffic matrix (integers: exact, order-free).
struct Loads {
  std::vector<uint64_t> nvl_send_b, nvl_send_c, ib_send_b, ib_send_c, recv_b, recv_c;  // [gpu]
  std::vector<uint64_t> nvl_tx_b, nvl_rx_b, nic_tx_b, nic_rx_b;                      // [gpu]
  std::vector<uint64_t> leaf_up_b, leaf_down_b;                                      // [plane * leaves + leaf]
  std::array<bool, kPathClasses> present{};
  std::array<uint64_t, kPathClasses> max_chunk_bytes{};  // the largest chunk each class carries
  bool cross_leaf = false;
  uint64_t nvlink_bytes = 0, ib_bytes = 0, relayed_bytes = 0;
};

struct Topology {
  int gpus = 0, per_node = 0, planes = 1, leaves_per_plane = 1;
  std::vector<int> leaf, plane;  // [gpu]
  int node(int g) const { return g / per_node; }
  // Where an IB transfer from src for dst lands (no faults): dst when its NIC is on src's plane,
  // else the first GPU of dst's node on that plane, which relays it over NVLink (IbFabric::landing_gpu).
  int landing(int src, int dst) const {
    if (plane[static_cast<size_t>(dst)] == plane[static_cast<size_t>(src)]) return dst;
    return node(dst) * per_node + plane[static_cast<size_t>(src)];
  }
};

Topology topology(const config::PlatformConfig& p, int gpus, int per_node) {
  Topology t;
  t.gpus = gpus;
  t.per_node = per_node;
  t.planes = p.fabric.planes;
  const int per_node_on_plane = std::max(1, per_node / t.planes);
  const int hosts_per_leaf = p.fabric.switch_radix / 2;
  const int nodes = (gpus + per_node - 1) / per_node;
  t.leaves_per_plane = (nodes * per_node_on_plane + hosts_per_leaf - 1) / hosts_per_leaf;
  t.leaf.resize(static_cast<size_t>(gpus));
  t.plane.resize(static_cast<size_t>(gpus));
  for (int g = 0; g < gpus; ++g) {
    const int local = g % per_node;
    t.plane[static_cast<size_t>(g)] = local % t.planes;
    t.leaf[static_cast<size_t>(g)] = (g / per_node * per_node_on_plane + local / t.planes) / hosts_per_leaf;
  }
  return t;
}

Loads add_up(const Topology& topo, const FlowExchange& x, uint64_t window_elements) {
  const auto G = static_cast<size_t>(x.gpus);
  const auto eb = static_cast<uint64_t>(x.element_bytes);
  Loads l;
  for (auto* v : {&l.nvl_send_b, &l.nvl_send_c, &l.ib_send_b, &l.ib_send_c, &l.recv_b, &l.recv_c, &l.nvl_tx_b,
                  &l.nvl_rx_b, &l.nic_tx_b, &l.nic_rx_b})
    v->assign(G, 0);
  const size_t leaves = static_cast<size_t>(topo.planes) * static_cast<size_t>(topo.leaves_per_plane);
  l.leaf_up_b.assign(leaves, 0);
  l.leaf_down_b.assign(leaves, 0);
  std::vector<uint64_t> counts(G);
  for (int s = 0; s < x.gpus; ++s) {
    const size_t si = static_cast<size_t>(s);
    x.send_counts(s, counts.data());
    const uint64_t* row = counts.data();
    const int s_node = topo.node(s);
    const size_t s_leaf = static_cast<size_t>(topo.plane[si] * topo.leaves_per_plane + topo.leaf[si]);
    for (int d = 0; d < x.gpus; ++d) {
      const uint64_t c = row[d];
      if (c == 0 || d == s) continue;  // the diagonal is the rank's own share: no link
      const size_t di = static_cast<size_t>(d);
      const uint64_t bytes = c * eb, chunks = (c + window_elements - 1) / window_elements;
      const uint64_t chunk = std::min(c, window_elements) * eb;
      l.recv_b[di] += bytes;
      l.recv_c[di] += chunks;
      if (topo.node(d) == s_node) {
        l.nvl_send_b[si] += bytes;
        l.nvl_send_c[si] += chunks;
        l.nvl_tx_b[si] += bytes;
        l.nvl_rx_b[di] += bytes;
        l.nvlink_bytes += bytes;
        l.present[kNvlink] = true;
        l.max_chunk_bytes[kNvlink] = std::max(l.max_chunk_bytes[kNvlink], chunk);
        continue;
      }
      l.ib_send_b[si] += bytes;
      l.ib_send_c[si] += chunks;
      l.nic_tx_b[si] += bytes;
      l.ib_bytes += bytes;
      const int land = topo.landing(s, d);
      const size_t li = static_cast<size_t>(land);
      l.nic_rx_b[li] += bytes;
      if (topo.leaf[li] != topo.leaf[si]) {
        l.leaf_up_b[s_leaf] += bytes;
        l.leaf_down_b[static_cast<size_t>(topo.plane[si] * topo.leaves_per_plane + topo.leaf[li])] += bytes;
        l.cross_leaf = true;
      }
      const PathClass cls = land == d ? kIb : kIbRelayed;
      if (land != d) {
        l.nvl_tx_b[li] += bytes;
        l.nvl_rx_b[di] += bytes;
        l.relayed_bytes += bytes;
      }
      l.present[cls] = true;
      l.max_chunk_bytes[cls] = std::max(l.max_chunk_bytes[cls], chunk);
    }
  }
  return l;
}

}  // namespace

FlowEstimate estimate_alltoall_flow(const config::PlatformConfig& p, const std::optional<config::ProposalConfig>& proposal,
                                    const FlowExchange& x) {
  if (p.faults && p.faults->any())
    throw UserError("--model flow does not model faults (platform.faults is set); run them with --model packet");
  if (!x.send_counts || x.gpus < 2 || x.gpus_per_node < 1 || x.element_bytes < 1)
    throw UserError(fmt::format("flow model: malformed exchange ({} GPUs, {} per node)", x.gpus, x.gpus_per_node));
  const bool coproc = proposal && proposal->coprocessor;
  if (!coproc && x.comm_sms < 1) throw UserError("flow model: the SM-driven exchange needs at least one SM");
  const Topology topo = topology(p, x.gpus, x.gpus_per_node);
  const uint64_t window_elements = std::max<uint64_t>(1, static_cast<uint64_t>(p.emulation.chunk_bytes / x.element_bytes));
  const Loads l = add_up(topo, x, window_elements);

  // Rates (GB/s) and per-chunk costs (us) of every resource kind, as the packet model builds them.
  const double k = x.comm_sms;
  const double sm_chunk_us = coproc ? 0.0 : p.comm_sm.chunk_overhead_us / k;
  const double nvl_send_GBps = coproc ? 0 : k * p.comm_sm.nvlink_send_GBps_per_sm;
  const double ib_send_GBps = coproc ? 0 : k * p.comm_sm.ib_send_GBps_per_sm;
  const double recv_GBps = coproc ? 0 : k * p.comm_sm.receive_GBps_per_sm;
  const double nvl_GBps = p.node.nvlink_achievable_GBps;
  const double nic_GBps = p.nic.achievable_GBps * p.nic.count_per_gpu;
  const double leaf_GBps = (p.fabric.switch_radix / 2) * p.nic.link_GBps * p.nic.count_per_gpu;
  const double dma_GBps = coproc ? proposal->coprocessor->dma_engine_GBps : 0;
  const int engines = coproc ? proposal->coprocessor->dma_engines : 0;
  const double issue_us = coproc ? proposal->coprocessor->issue_latency_us : 0;
  const int hops = l.cross_leaf ? (p.fabric.tiers >= 3 ? 5 : 3) : 1;

  // One chunk's way through each path class: the cut-through front (sender role or DMA engine, then
  // the link; the slower stage sets it), fixed latencies, then the store-and-forward stages (the
  // in-node relay, the receiver's copy-out role).
  std::array<double, kPathClasses> path_us{};
  for (size_t c = 0; c < kPathClasses; ++c) {
    if (!l.present[c]) continue;
    const uint64_t b = l.max_chunk_bytes[c];
    const double sender = coproc ? us_for(b, dma_GBps) : us_for(b, c == kNvlink ? nvl_send_GBps : ib_send_GBps) + sm_chunk_us;
    const double front = std::max(sender, us_for(b, c == kNvlink ? nvl_GBps : nic_GBps));
    double fixed = issue_us + (c == kNvlink ? p.node.nvlink_latency_us
                                            : p.nic.latency_us + hops * p.fabric.switch_latency_us);
    double after = coproc ? 0.0 : us_for(b, recv_GBps) + sm_chunk_us;
    if (c == kIbRelayed) {
      fixed += p.node.nvlink_latency_us;
      after += us_for(b, nvl_GBps);
    }
    path_us[c] = front + fixed + after;
  }
  auto path_through = [&](std::initializer_list<PathClass> classes) {
    double m = 0;
    for (PathClass c : classes)
      if (l.present[c]) m = std::max(m, path_us[c]);
    return m;
  };

  FlowEstimate best;
  bool any = false;
  // `name` is formatted only for a resource that becomes the bottleneck (there are ~7 per GPU).
  auto consider = [&](auto name, double GBps, uint64_t bytes, uint64_t chunks, double busy_us, double fill_us) {
    if (bytes == 0 || (any && busy_us + fill_us <= best.bottleneck.end_us())) return;
    any = true;
    best.bottleneck.name = name();
    best.bottleneck.GBps = GBps;
    best.bottleneck.bytes = bytes;
    best.bottleneck.chunks = chunks;
    best.bottleneck.busy_us = busy_us;
    best.bottleneck.fill_us = fill_us;
  };
  // A server of `GBps` with a fixed cost per chunk: busy for all its chunks, then the rest of the
  // way of the last one (its path less its own share of it).
  auto server = [&](auto name, double GBps, uint64_t bytes, uint64_t chunks, double per_chunk_us, uint64_t chunk_bytes,
                    double path) {
    if (bytes == 0) return;
    const double busy = us_for(bytes, GBps) + static_cast<double>(chunks) * per_chunk_us;
    const double own = us_for(chunk_bytes, GBps) + per_chunk_us;
    consider(name, GBps, bytes, chunks, busy, std::max(0.0, path - own));
  };
  const uint64_t nvl_chunk = l.max_chunk_bytes[kNvlink];
  const uint64_t ib_chunk = std::max(l.max_chunk_bytes[kIb], l.max_chunk_bytes[kIbRelayed]);
  const uint64_t any_chunk = std::max(nvl_chunk, ib_chunk);
  const double slots = coproc ? static_cast<double>(proposal->coprocessor->command_queues) *
                                    static_cast<double>(proposal->coprocessor->queue_depth)
                              : 0;
  const double nvl_path = path_through({kNvlink}), ib_path = path_through({kIb, kIbRelayed});
  const double any_path = path_through({kNvlink, kIb, kIbRelayed}), port_path = path_through({kNvlink, kIbRelayed});
  for (int g = 0; g < x.gpus; ++g) {
    const size_t i = static_cast<size_t>(g);
    auto named = [g](const char* what) { return [g, what] { return fmt::format("gpu{}.{}", g, what); }; };
    if (coproc) {
      const uint64_t out_b = l.nvl_send_b[i] + l.ib_send_b[i], out_c = l.nvl_send_c[i] + l.ib_send_c[i];
      // The pool moves engines x one engine's rate; a single chunk runs on one engine.
      if (out_b > 0)
        consider(named("coproc.dma"), engines * dma_GBps, out_b, out_c, us_for(out_b, engines * dma_GBps),
                 std::max(0.0, any_path - us_for(any_chunk, dma_GBps)));
      // Command queues: a descriptor holds its slot from issue until its last byte lands, so at most
      // `slots` chunks are in flight (Little's law with the unloaded residence of a chunk).
      if (out_c > 0)
        consider(named("coproc.queues"), 0.0, out_b, out_c, static_cast<double>(out_c) * any_path / slots,
                 any_path - any_path / slots);
    } else {
      server(named("sm.nvlink_send"), nvl_send_GBps, l.nvl_send_b[i], l.nvl_send_c[i], sm_chunk_us, nvl_chunk, nvl_path);
      server(named("sm.ib_send"), ib_send_GBps, l.ib_send_b[i], l.ib_send_c[i], sm_chunk_us, ib_chunk, ib_path);
      server(named("sm.receive"), recv_GBps, l.recv_b[i], l.recv_c[i], sm_chunk_us, any_chunk, any_path);
    }
    server(named("nvlink.tx"), nvl_GBps, l.nvl_tx_b[i], 0, 0.0, any_chunk, port_path);
    server(named("nvlink.rx"), nvl_GBps, l.nvl_rx_b[i], 0, 0.0, any_chunk, port_path);
    server(named("nic.tx"), nic_GBps, l.nic_tx_b[i], 0, 0.0, ib_chunk, ib_path);
    server(named("nic.rx"), nic_GBps, l.nic_rx_b[i], 0, 0.0, ib_chunk, ib_path);
  }
  for (int plane = 0; plane < topo.planes; ++plane)
    for (int leaf = 0; leaf < topo.leaves_per_plane; ++leaf) {
      const size_t i = static_cast<size_t>(plane * topo.leaves_per_plane + leaf);
      for (const char* dir : {"up", "down"})
        server([plane, leaf, dir] { return fmt::format("plane{}.leaf{}.{}", plane, leaf, dir); }, leaf_GBps,
               (dir[0] == 'u' ? l.leaf_up_b : l.leaf_down_b)[i], 0, 0.0, ib_chunk, ib_path);
    }
  if (!any) best.bottleneck.name = "none (nothing crosses a link)";
  best.time_us = best.bottleneck.end_us();
  best.nvlink_bytes = l.nvlink_bytes;
  best.ib_bytes = l.ib_bytes;
  best.relayed_bytes = l.relayed_bytes;
  return best;
}

}  // namespace hwlab::emulator

#include "emulator/net/ib_fabric.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "emulator/core/transfer.h"

namespace hwlab::emulator {

IbFabric::IbFabric(sc_core::sc_module_name name, const config::PlatformConfig& p, int gpus, const FaultState& faults)
    : sc_module(name), in("in"), out("out"), faults_(faults), gpus_(gpus), gpus_per_node_(p.node.gpus_per_node),
      planes_(p.fabric.planes), tiers_(p.fabric.tiers), hosts_per_leaf_(p.fabric.switch_radix / 2),
      hop_latency_(microseconds(p.fabric.switch_latency_us)) {
  if (planes_ > gpus_per_node_ && gpus_ > gpus_per_node_)
    throw UserError(fmt::format("platform.fabric.planes: {} planes but only {} NICs per node reach them",
                                planes_, gpus_per_node_));
  const int nodes = (gpus + gpus_per_node_ - 1) / gpus_per_node_;
  const int hosts_per_plane = nodes * std::max(1, gpus_per_node_ / planes_);
  if (hosts_per_plane * planes_ > p.max_endpoints())
    throw UserError(fmt::format("platform.fabric: a {}-tier fat-tree of radix {} with {} planes connects {} NICs; "
                                "the deployment has {}",
                                tiers_, p.fabric.switch_radix, planes_, p.max_endpoints(), hosts_per_plane * planes_));
  leaves_per_plane_ = (hosts_per_plane + hosts_per_leaf_ - 1) / hosts_per_leaf_;
  const double uplink_GBps = hosts_per_leaf_ * p.nic.link_GBps * p.nic.count_per_gpu;
  for (int plane = 0; plane < planes_; ++plane)
    for (int leaf = 0; leaf < leaves_per_plane_; ++leaf) {
      const std::string n = fmt::format("{}.plane{}.leaf{}", basename(), plane, leaf);
      up_.emplace_back(n + ".up", uplink_GBps);
      down_.emplace_back(n + ".down", uplink_GBps);
    }
  // Per-GPU look-ups for the path of every transfer (the fabric and the faults are fixed for a run).
  leaf_.resize(static_cast<size_t>(gpus));
  for (int g = 0; g < gpus; ++g) {
    const int host = g / gpus_per_node_ * per_node_on_plane() + (g % gpus_per_node_) / planes_;
    leaf_[static_cast<size_t>(g)] = host / hosts_per_leaf_;
  }
  first_on_plane_.assign(static_cast<size_t>(nodes) * static_cast<size_t>(planes_), -1);
  for (int g = gpus - 1; g >= 0; --g)
    if (faults_.nic_ok(g))
      first_on_plane_[static_cast<size_t>(g / gpus_per_node_) * static_cast<size_t>(planes_) +
                      static_cast<size_t>(plane_of(g))] = g;
  in.register_b_transport(this, &IbFabric::b_transport);
}

int IbFabric::landing_gpu(int src, int dst) const {
  const int plane = plane_of(src);
  if (plane_of(dst) == plane && faults_.nic_ok(dst)) return dst;
  // The first working NIC of dst's node on src's plane.
  const int on_plane = first_on_plane_[static_cast<size_t>(dst / gpus_per_node_) * static_cast<size_t>(planes_) +
                                       static_cast<size_t>(plane)];
  if (on_plane >= 0) return on_plane;
  if (faults_.nic_ok(dst)) return dst;
  // The destination's NIC is down and no peer is on the sender's plane: assume the degraded route to
  // any working NIC of the node exists (an approximation of rerouting across planes).
  return faults_.relay_for(dst, gpus_per_node_, planes_, -1);
}


int IbFabric::switch_hops(int src_gpu, int landing) const {
  if (leaf_of(src_gpu) == leaf_of(landing)) return 1;
  return tiers_ >= 3 ? 5 : 3;
}

void IbFabric::b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Transfer& t = transfer_of(payload);
  const int landing = landing_gpu(port, t.dst);
  const sc_time now = sc_core::sc_time_stamp();
  sc_time head = now + delay;
  if (leaf_of(port) != leaf_of(landing)) {
    const auto up = leaf_up(port).serve(head, t.bytes, t.not_before);
    const auto down = leaf_down(landing).serve(up.start, t.bytes, up.done);
    head = down.start;
    t.not_before = down.done;
  }
  const sc_time hops = hop_latency_ * switch_hops(port, landing);
  head += hops;
  t.not_before += hops;
  delay = head - now;
  out[landing]->b_transport(payload, delay);
}

}  // namespace hwlab::emulator

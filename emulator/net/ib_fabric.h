// The scale-out InfiniBand fabric: a fat-tree (or several independent planes of one, ISCA'25
// multi-plane fat-tree) of radix-k switches. Each GPU's NIC sits on plane (in-node index mod planes);
// traffic stays on its plane, so a transfer to a GPU whose NIC is on another plane lands on the NIC
// of the destination node that is on the sender's plane and is relayed inside the node.
// Leaf switches are modelled as aggregate up- and down-link servers (k/2 ports each): a full-
// bisection tree never limits NIC-bound traffic, but a degraded leaf does. Latency: one switch hop
// within a leaf, three (leaf, spine, leaf) across leaves, five in a three-tier tree.
//
// Sockets: `in` (multi target), `out` (multi initiator): one binding per GPU's NIC, by GPU index.
#pragma once

#include <algorithm>
#include <vector>

#include <systemc>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "common/config/platform.h"
#include "emulator/core/bandwidth_server.h"
#include "emulator/core/fault_state.h"

namespace hwlab::emulator {

class IbFabric : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<IbFabric> in;
  tlm_utils::multi_passthrough_initiator_socket<IbFabric> out;

  IbFabric(sc_core::sc_module_name name, const config::PlatformConfig& platform, int gpus, const FaultState& faults);

  int plane_of(int gpu) const { return (gpu % gpus_per_node_) % planes_; }
  // The GPU whose NIC receives a transfer from `src` for `dst`: dst itself when its NIC is on src's
  // plane and up, else a node peer on that plane (or any working one when a fault leaves no choice).
  int landing_gpu(int src, int dst) const;
  // Hosts of one plane are numbered node by node; hosts_per_leaf of them share a leaf.
  int leaf_of(int gpu) const { return leaf_[static_cast<size_t>(gpu)]; }
  int switch_hops(int src_gpu, int landing_gpu) const;

  BandwidthServer& leaf_up(int gpu) { return up_[leaf_index(gpu)]; }
  BandwidthServer& leaf_down(int gpu) { return down_[leaf_index(gpu)]; }
  const std::vector<BandwidthServer>& leaf_servers_up() const { return up_; }
  const std::vector<BandwidthServer>& leaf_servers_down() const { return down_; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  size_t leaf_index(int gpu) const { return static_cast<size_t>(plane_of(gpu) * leaves_per_plane_ + leaf_of(gpu)); }
  int per_node_on_plane() const { return std::max(1, gpus_per_node_ / planes_); }

  const FaultState& faults_;
  int gpus_, gpus_per_node_, planes_, tiers_, hosts_per_leaf_, leaves_per_plane_;
  sc_time hop_latency_;
  std::vector<BandwidthServer> up_, down_;
  std::vector<int> leaf_;            // [gpu]
  std::vector<int> first_on_plane_;  // [node * planes + plane]: first GPU there with a working NIC, -1: none
};

}  // namespace hwlab::emulator

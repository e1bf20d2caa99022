// NVSwitch of one node: a non-blocking crossbar between the NVLink ports of its GPUs. Each GPU port
// is two bandwidth servers (transmit, receive) at the achievable NVLink rate per direction, so a
// receiver that many GPUs send to is where contention shows.
//
// Sockets: `in` (multi target): one binding per GPU's nvlink initiator, in in-node order.
//          `out` (multi initiator): one binding per GPU's receive target, same order.
#pragma once

#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "emulator/core/bandwidth_server.h"

namespace hwlab::emulator {

class NvSwitch : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<NvSwitch> in;
  tlm_utils::multi_passthrough_initiator_socket<NvSwitch> out;

  NvSwitch(sc_core::sc_module_name name, int node, int gpus_per_node, double port_GBps, double latency_us);

  BandwidthServer& tx(int local_gpu) { return tx_[static_cast<size_t>(local_gpu)]; }
  BandwidthServer& rx(int local_gpu) { return rx_[static_cast<size_t>(local_gpu)]; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);

  int node_, gpus_per_node_;
  sc_time latency_;
  std::vector<BandwidthServer> tx_, rx_;
};

}  // namespace hwlab::emulator

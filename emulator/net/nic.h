// The scale-out NIC(s) of one GPU (GPUDirect RDMA): a transmit and a receive bandwidth server at
// the achievable rate of all the GPU's NICs together, plus the NIC-to-NIC latency on transmit.
//
// Sockets: `from_gpu` (target) -> tx -> `to_fabric` (initiator);
//          `from_fabric` (target) -> rx -> `to_gpu` (initiator).
#pragma once

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "emulator/core/bandwidth_server.h"

namespace hwlab::emulator {

class Nic : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Nic> from_gpu;
  tlm_utils::simple_initiator_socket<Nic> to_fabric;
  tlm_utils::simple_target_socket<Nic> from_fabric;
  tlm_utils::simple_initiator_socket<Nic> to_gpu;

  Nic(sc_core::sc_module_name name, double GBps, double latency_us);

  BandwidthServer& tx() { return tx_; }
  BandwidthServer& rx() { return rx_; }

 private:
  void transmit(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void receive(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);

  sc_time latency_;
  BandwidthServer tx_, rx_;
};

}  // namespace hwlab::emulator

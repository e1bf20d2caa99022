#include "emulator/net/nvswitch.h"

#include "emulator/core/transfer.h"

namespace hwlab::emulator {

NvSwitch::NvSwitch(sc_core::sc_module_name name, int node, int gpus_per_node, double port_GBps, double latency_us)
    : sc_module(name), in("in"), out("out"), node_(node), gpus_per_node_(gpus_per_node),
      latency_(microseconds(latency_us)) {
  for (int g = 0; g < gpus_per_node; ++g) {
    const std::string port = std::string(basename()) + ".gpu" + std::to_string(g);
    tx_.emplace_back(port + ".tx", port_GBps);
    rx_.emplace_back(port + ".rx", port_GBps);
  }
  in.register_b_transport(this, &NvSwitch::b_transport);
}

void NvSwitch::b_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Transfer& t = transfer_of(payload);
  const int dst_port = (t.via >= 0 ? t.via : t.dst) % gpus_per_node_;
  const sc_time now = sc_core::sc_time_stamp();
  // Transmit on the sender's port, cut through the switch, receive on the destination's port.
  const auto sent = tx_[static_cast<size_t>(port)].serve(now + delay, t.bytes, t.not_before);
  const auto received = rx_[static_cast<size_t>(dst_port)].serve(sent.start + latency_, t.bytes, sent.done + latency_);
  t.not_before = received.done;
  delay = received.done - now;
  out[dst_port]->b_transport(payload, delay);
}

}  // namespace hwlab::emulator

#include "emulator/net/nic.h"

#include "emulator/core/transfer.h"

namespace hwlab::emulator {

Nic::Nic(sc_core::sc_module_name name, double GBps, double latency_us)
    : sc_module(name), from_gpu("from_gpu"), to_fabric("to_fabric"), from_fabric("from_fabric"), to_gpu("to_gpu"),
      latency_(microseconds(latency_us)),
      tx_(std::string(basename()) + ".tx", GBps), rx_(std::string(basename()) + ".rx", GBps) {
  from_gpu.register_b_transport(this, &Nic::transmit);
  from_fabric.register_b_transport(this, &Nic::receive);
}

void Nic::transmit(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Transfer& t = transfer_of(payload);
  const sc_time now = sc_core::sc_time_stamp();
  const auto sent = tx_.serve(now + delay, t.bytes, t.not_before);
  t.not_before = sent.done + latency_;
  delay = sent.start + latency_ - now;  // the head enters the fabric
  to_fabric->b_transport(payload, delay);
}

void Nic::receive(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Transfer& t = transfer_of(payload);
  const sc_time now = sc_core::sc_time_stamp();
  const auto received = rx_.serve(now + delay, t.bytes, t.not_before);
  t.not_before = received.done;
  delay = received.done - now;
  to_gpu->b_transport(payload, delay);
}

}  // namespace hwlab::emulator

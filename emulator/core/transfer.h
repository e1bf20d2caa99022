// The TLM-2.0 payload of the cluster model: a generic payload (write of `bytes`, no data pointer in
// timing mode) carrying this extension, which says what the bytes are so that each module on the
// path can do its part (forwarders forward, receivers count tokens, joins reduce).
#pragma once

#include <cstdint>

#include <tlm>

#include "emulator/core/units.h"

namespace hwlab::emulator {

enum class TransferKind : uint8_t {
  dispatch_peer,          // tokens for one GPU (intra-node NVLink or direct IB)
  dispatch_to_forwarder,  // a window of a node stream, over IB to the forwarder
  dispatch_forwarded,     // the forwarder's NVLink copy of a window for one of its node's GPUs
  combine_peer,           // sums returned to the source over NVLink or direct IB
  combine_to_forwarder,   // one GPU's sums of a forwarded window, to the forwarder
  combine_reduced,        // the forwarder's reduced window, over IB back to the source
};

struct Transfer : tlm::tlm_extension<Transfer> {
  TransferKind kind = TransferKind::dispatch_peer;
  int phase = 0;        // index of the (layer, micro-batch) phase plan
  int src = 0, dst = 0; // GPU that sends this hop's bytes, GPU it is for
  int stream = 0, window = 0;
  int tokens = 0;
  uint64_t bytes = 0;
  bool over_ib = false;
  int via = -1;           // an intermediate GPU of this hop (NIC relay), -1 for none
  bool relay_ib = false;  // `via` sends it on over its own NIC (the sender's NIC is down)
  // Cut-through: the last byte cannot arrive before this (the previous hop's last byte + latency).
  sc_time not_before = sc_core::SC_ZERO_TIME;

  tlm::tlm_extension_base* clone() const override { return new Transfer(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const Transfer&>(other);
  }
};

// A generic payload with its Transfer extension, on the stack of the sender (b_transport is blocking).
class TransferPayload {
 public:
  explicit TransferPayload(const Transfer& t) : transfer_(t) {
    payload_.set_command(tlm::TLM_WRITE_COMMAND);
    payload_.set_address(static_cast<uint64_t>(t.dst));
    payload_.set_data_ptr(nullptr);
    payload_.set_data_length(static_cast<unsigned>(t.bytes));
    payload_.set_streaming_width(static_cast<unsigned>(t.bytes));
    payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    payload_.set_extension(&transfer_);
  }
  ~TransferPayload() { payload_.clear_extension(&transfer_); }
  TransferPayload(const TransferPayload&) = delete;
  TransferPayload& operator=(const TransferPayload&) = delete;

  tlm::tlm_generic_payload& payload() { return payload_; }
  Transfer& transfer() { return transfer_; }

 private:
  Transfer transfer_;
  tlm::tlm_generic_payload payload_;
};

inline Transfer& transfer_of(tlm::tlm_generic_payload& p) {
  Transfer* t = nullptr;
  p.get_extension(t);
  return *t;
}

}  // namespace hwlab::emulator

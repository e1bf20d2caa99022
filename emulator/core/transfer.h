// The TLM-2.0 payload of the cluster model: a generic payload (write of `bytes`, no data pointer in
// timing mode) carrying this extension, which says what the bytes are so that each module on the
// path can do its part (forwarders forward, receivers count tokens, joins reduce).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

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
  // ISA programs (proposal.coprocessor.program: isa, comm/program_engine.h):
  pull_request,      // a read request from `src` for `tokens` rows of expert outputs held by `dst`
  pull_data,         // those rows, from the holder back to the requester
  combine_gathered,  // a forwarder's node sums, written into the owner's gather rows over IB
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
  // pull_request: the last byte of the answer cannot arrive before this (the requester's DMA engine).
  sc_time answer_not_before = sc_core::SC_ZERO_TIME;
  int stage = 0;  // pull_request/pull_data: COMBINE stage (0 forward, 1 final)

  tlm::tlm_extension_base* clone() const override { return new Transfer(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const Transfer&>(other);
  }
};

// A generic payload with its Transfer extension, for the duration of one blocking b_transport call
// of the sender. Constructing a tlm_generic_payload allocates its extension array, and a run sends
// millions of transfers, so the payloads are reused: sends nest (an arrival can trigger further
// sends within the sender's call chain) but a call chain never waits, so the payloads in use always
// form a stack.
class TransferPayload {
 public:
  explicit TransferPayload(const Transfer& t) : slot_(acquire()) {
    slot_.transfer = t;
    tlm::tlm_generic_payload& p = slot_.payload;
    p.set_command(tlm::TLM_WRITE_COMMAND);
    p.set_address(static_cast<uint64_t>(t.dst));
    p.set_data_ptr(nullptr);
    p.set_data_length(static_cast<unsigned>(t.bytes));
    p.set_streaming_width(static_cast<unsigned>(t.bytes));
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  }
  ~TransferPayload() { --stack().depth; }
  TransferPayload(const TransferPayload&) = delete;
  TransferPayload& operator=(const TransferPayload&) = delete;

  tlm::tlm_generic_payload& payload() { return slot_.payload; }
  Transfer& transfer() { return slot_.transfer; }

 private:
  struct Slot {
    Transfer transfer;
    tlm::tlm_generic_payload payload;
    Slot() { payload.set_extension(&transfer); }
    ~Slot() { payload.clear_extension(&transfer); }  // the payload must not delete it
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
  };
  struct Stack {
    std::vector<std::unique_ptr<Slot>> slots;
    size_t depth = 0;
  };
  static Stack& stack() {
    static Stack s;
    return s;
  }
  static Slot& acquire() {
    Stack& s = stack();
    if (s.depth == s.slots.size()) s.slots.push_back(std::make_unique<Slot>());
    return *s.slots[s.depth++];
  }

  Slot& slot_;
};

inline Transfer& transfer_of(tlm::tlm_generic_payload& p) {
  Transfer* t = nullptr;
  p.get_extension(t);
  return *t;
}

}  // namespace hwlab::emulator

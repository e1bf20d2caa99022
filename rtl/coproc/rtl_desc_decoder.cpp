#include "rtl/coproc/rtl_desc_decoder.h"

#include <stdexcept>

#include "rtl/coproc/gated_clock.h"

#include "Vhwlab_desc_decoder_sc.h"

namespace hwlab::rtl {

struct RtlDescDecoder::Impl {
  using Desc = sc_dt::sc_bv<isa::kDescriptorBits>;
  using Fields = sc_dt::sc_bv<64 * isa::kMaxFields>;

  GatedClock clk;
  sc_core::sc_signal<bool> rst_n{"rst_n", false};
  sc_core::sc_signal<bool> in_valid{"in_valid", false}, in_ready{"in_ready"};
  sc_core::sc_signal<Desc> in_desc{"in_desc"};
  sc_core::sc_signal<bool> out_valid{"out_valid"}, out_ready{"out_ready", false}, out_malformed{"out_malformed"};
  sc_core::sc_signal<uint32_t> out_opcode{"out_opcode"}, out_reason{"out_reason"}, out_field{"out_field"},
      out_bit{"out_bit"}, out_field_count{"out_field_count"};
  sc_core::sc_signal<Fields> out_fields{"out_fields"};
  Vhwlab_desc_decoder_sc rtl{"rtl"};
  sc_core::sc_event reset_done;
  bool in_reset = true;
  bool busy = false;

  explicit Impl(sc_core::sc_time period) : clk("clk", period) {
    rtl.clk(clk.signal());
    rtl.rst_n(rst_n);
    rtl.in_valid(in_valid);
    rtl.in_ready(in_ready);
    rtl.in_desc(in_desc);
    rtl.out_valid(out_valid);
    rtl.out_ready(out_ready);
    rtl.out_opcode(out_opcode);
    rtl.out_malformed(out_malformed);
    rtl.out_reason(out_reason);
    rtl.out_field(out_field);
    rtl.out_bit(out_bit);
    rtl.out_field_count(out_field_count);
    rtl.out_fields(out_fields);
  }

  void offer(const isa::Descriptor& d) {
    Desc bits;
    for (int w = 0; w < isa::kDescriptorBytes / 4; ++w) {
      const auto* p = &d[static_cast<size_t>(4 * w)];
      bits.set_word(w, static_cast<uint32_t>(p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24));
    }
    in_desc.write(bits);
    in_valid.write(true);
  }

  // The outputs as isa::decode reports them (field and bit are -1 where they do not apply).
  RtlDecoded result() const {
    RtlDecoded r;
    r.opcode = static_cast<uint8_t>(out_opcode.read());
    r.reason = static_cast<isa::Reject>(out_reason.read());
    const bool field_check = r.reason >= isa::Reject::field_width && r.reason < isa::Reject::cross_field;
    r.field = field_check ? static_cast<int>(out_field.read()) : -1;
    r.bit = r.reason == isa::Reject::reserved_bit ? static_cast<int>(out_bit.read()) : -1;
    r.field_count = out_field_count.read();
    const Fields f = out_fields.read();
    for (int i = 0; i < isa::kMaxFields; ++i)
      r.fields[static_cast<size_t>(i)] = uint64_t{f.get_word(2 * i)} | uint64_t{f.get_word(2 * i + 1)} << 32;
    return r;
  }
};

RtlDescDecoder::RtlDescDecoder(sc_core::sc_module_name name, sc_core::sc_time clock_period)
    : sc_core::sc_module(name), impl_(std::make_unique<Impl>(clock_period)) {
  SC_HAS_PROCESS(RtlDescDecoder);
  SC_THREAD(reset_sequence);
}

RtlDescDecoder::~RtlDescDecoder() = default;

sc_core::sc_time RtlDescDecoder::clock_period() const { return impl_->clk.period(); }

void RtlDescDecoder::reset_sequence() {
  Impl& m = *impl_;
  m.rst_n.write(false);
  m.clk.start();
  for (int i = 0; i < 2; ++i) wait(m.clk.posedge_event());
  m.rst_n.write(true);
  wait(m.clk.negedge_event());
  m.clk.stop();
  m.in_reset = false;
  m.reset_done.notify();
}

std::vector<RtlDecoded> RtlDescDecoder::decode_stream(const std::vector<isa::Descriptor>& descriptors,
                                                      uint64_t* cycles) {
  Impl& m = *impl_;
  if (m.busy) throw std::logic_error("RtlDescDecoder: one call at a time");
  m.busy = true;
  if (m.in_reset) wait(m.reset_done);
  m.clk.start();
  std::vector<RtlDecoded> out;
  out.reserve(descriptors.size());
  uint64_t edges = 0;
  size_t next = 0;
  if (next < descriptors.size()) m.offer(descriptors[next]);
  m.out_ready.write(true);
  while (out.size() < descriptors.size()) {
    // Signals read at the edge hold the values the RTL sampled there.
    wait(m.clk.posedge_event());
    ++edges;
    if (m.out_valid.read()) {
      out.push_back(m.result());
      out.back().cycles = edges;
    }
    if (m.in_valid.read() && m.in_ready.read()) {
      if (++next < descriptors.size())
        m.offer(descriptors[next]);
      else
        m.in_valid.write(false);
    }
  }
  m.out_ready.write(false);
  m.clk.stop();
  m.busy = false;
  if (cycles) *cycles = edges;
  return out;
}

RtlDecoded RtlDescDecoder::decode(const isa::Descriptor& descriptor) { return decode_stream({descriptor}).front(); }

}  // namespace hwlab::rtl

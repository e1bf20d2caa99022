#include "rtl/coproc/rtl_reduce_unit.h"

#include <stdexcept>

#include "rtl/coproc/gated_clock.h"

#include "Vhwlab_reduce_unit_sc.h"
#include "isa/rows.h"

namespace hwlab::rtl {

using isa::Dtype;

struct RtlReduceUnit::Impl {
  static constexpr int kBusBits = 32 * kLanes;
  using Bus = sc_dt::sc_bv<kBusBits>;

  GatedClock clk;
  sc_core::sc_signal<bool> rst_n{"rst_n", false};
  sc_core::sc_signal<bool> in_valid{"in_valid", false}, in_ready{"in_ready"};
  sc_core::sc_signal<Bus> in_data{"in_data"};
  sc_core::sc_signal<bool> in_bf16{"in_bf16"}, in_first{"in_first"}, in_last{"in_last"}, in_out_bf16{"in_out_bf16"};
  sc_core::sc_signal<bool> out_valid{"out_valid"}, out_ready{"out_ready", false};
  sc_core::sc_signal<Bus> out_data{"out_data"};
  Vhwlab_reduce_unit_sc rtl{"rtl"};
  sc_core::sc_event reset_done;
  bool in_reset = true;
  bool busy = false;

  explicit Impl(sc_core::sc_time period) : clk("clk", period) {
    static_assert(kBusBits == 128, "the RTL's LANES is 4");
    rtl.clk(clk.signal());
    rtl.rst_n(rst_n);
    rtl.in_valid(in_valid);
    rtl.in_ready(in_ready);
    rtl.in_data(in_data);
    rtl.in_bf16(in_bf16);
    rtl.in_first(in_first);
    rtl.in_last(in_last);
    rtl.in_out_bf16(in_out_bf16);
    rtl.out_valid(out_valid);
    rtl.out_ready(out_ready);
    rtl.out_data(out_data);
  }
};

namespace {

uint32_t element(const ReduceAddend& a, uint64_t i) {
  if (a.type == Dtype::bf16) return static_cast<uint32_t>(a.row[2 * i] | a.row[2 * i + 1] << 8);
  uint32_t bits = 0;
  for (int b = 3; b >= 0; --b) bits = bits << 8 | a.row[4 * i + static_cast<uint64_t>(b)];
  return bits;
}

bool is_row_type(Dtype t) { return t == Dtype::fp32 || t == Dtype::bf16; }

}  // namespace

RtlReduceUnit::RtlReduceUnit(sc_core::sc_module_name name, sc_core::sc_time clock_period)
    : sc_core::sc_module(name), impl_(std::make_unique<Impl>(clock_period)) {
  SC_HAS_PROCESS(RtlReduceUnit);
  SC_THREAD(reset_sequence);
}

RtlReduceUnit::~RtlReduceUnit() = default;

sc_core::sc_time RtlReduceUnit::clock_period() const { return impl_->clk.period(); }

void RtlReduceUnit::reset_sequence() {
  Impl& m = *impl_;
  m.rst_n.write(false);
  m.clk.start();
  for (int i = 0; i < 2; ++i) wait(m.clk.posedge_event());
  m.rst_n.write(true);
  wait(m.clk.negedge_event());  // released before the next edge
  m.clk.stop();
  m.in_reset = false;
  m.reset_done.notify();
}

ReduceOutcome RtlReduceUnit::reduce(const std::vector<ReduceAddend>& addends, uint64_t cols, Dtype dtype) {
  if (addends.empty() || cols == 0 || !is_row_type(dtype))
    throw std::invalid_argument("RtlReduceUnit::reduce: needs addends, cols > 0 and an fp32 or bf16 destination");
  for (const ReduceAddend& a : addends)
    if (!is_row_type(a.type) || !a.row)
      throw std::invalid_argument("RtlReduceUnit::reduce: addends are fp32 or bf16 rows (FP8 is CAST's datapath)");
  Impl& m = *impl_;
  if (m.busy) throw std::logic_error("RtlReduceUnit::reduce: one call at a time");
  m.busy = true;
  if (m.in_reset) wait(m.reset_done);
  m.clk.start();

  const uint64_t k_count = addends.size();
  const uint64_t chunks = (cols + kLanes - 1) / kLanes;
  const uint64_t beats = chunks * k_count;
  ReduceOutcome out;
  out.row.resize(isa::row_bytes(dtype, cols));

  uint64_t next_beat = 0, next_sum = 0;
  auto offer = [&] {
    if (next_beat == beats) {
      m.in_valid.write(false);
      return;
    }
    const uint64_t chunk = next_beat / k_count, k = next_beat % k_count;
    Impl::Bus data;
    for (unsigned l = 0; l < kLanes; ++l) {
      const uint64_t i = chunk * kLanes + l;
      data.set_word(static_cast<int>(l), i < cols ? element(addends[k], i) : 0u);
    }
    m.in_data.write(data);
    m.in_bf16.write(addends[k].type == Dtype::bf16);
    m.in_first.write(k == 0);
    m.in_last.write(k + 1 == k_count);
    m.in_out_bf16.write(dtype == Dtype::bf16);
    m.in_valid.write(true);
  };

  offer();
  m.out_ready.write(true);
  while (next_sum < chunks) {
    // Signals read at the edge hold the values the RTL sampled there.
    wait(m.clk.posedge_event());
    ++out.cycles;
    if (m.out_valid.read()) {
      const Impl::Bus data = m.out_data.read();
      for (unsigned l = 0; l < kLanes; ++l) {
        const uint64_t i = next_sum * kLanes + l;
        if (i >= cols) break;
        const uint32_t code = data.get_word(static_cast<int>(l));
        if (dtype == Dtype::bf16) {
          out.row[2 * i] = static_cast<uint8_t>(code);
          out.row[2 * i + 1] = static_cast<uint8_t>(code >> 8);
        } else {
          for (uint64_t b = 0; b < 4; ++b) out.row[4 * i + b] = static_cast<uint8_t>(code >> (8 * b));
        }
      }
      ++next_sum;
    }
    if (m.in_valid.read() && m.in_ready.read()) {
      ++next_beat;
      offer();
    }
  }
  m.out_ready.write(false);
  m.clk.stop();
  m.busy = false;
  return out;
}

}  // namespace hwlab::rtl

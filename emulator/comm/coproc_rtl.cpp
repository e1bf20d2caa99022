#include "emulator/comm/coproc_rtl.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#if HWLAB_HAVE_RTL_COPROC
#include "isa/encoding.h"
#include "isa/rows.h"
#include "isa/table.h"
#include "rtl/coproc/rtl_desc_decoder.h"
#include "rtl/coproc/rtl_reduce_unit.h"
#endif

namespace hwlab::emulator {

#if HWLAB_HAVE_RTL_COPROC

bool coprocessor_rtl_available() { return true; }

struct CoprocessorRtl::Blocks {
  rtl::RtlDescDecoder decoder;
  rtl::RtlReduceUnit reduce;
  explicit Blocks(const sc_time& period) : decoder("decoder", period), reduce("reduce", period) {}
};

namespace {

constexpr double kBf16Bytes = 2;

int reduce_units(const config::CoprocessorSpec& spec) {
  const double slice_GBps = rtl::RtlReduceUnit::kLanes * kBf16Bytes * spec.clock_GHz;
  return std::max(1, static_cast<int>(std::ceil(spec.reduce_GBps / slice_GBps - 1e-9)));
}

// A finite value of moderate magnitude (2^-7 .. 2^8), random sign and fraction: sums neither
// overflow nor vanish, and rounding is exercised on every addition.
uint32_t random_fp32_bits(std::mt19937_64& rng) {
  const uint64_t r = rng();
  const uint32_t sign = static_cast<uint32_t>(r & 1u) << 31;
  const uint32_t exponent = 120u + static_cast<uint32_t>((r >> 1) % 16u);
  return sign | exponent << 23 | static_cast<uint32_t>((r >> 8) & 0x7fffffu);
}

void append_le(std::vector<uint8_t>& row, uint32_t bits, int bytes) {
  for (int b = 0; b < bytes; ++b) row.push_back(static_cast<uint8_t>(bits >> (8 * b)));
}

}  // namespace

CoprocessorRtl::CoprocessorRtl(sc_core::sc_module_name name, const config::CoprocessorSpec& spec, uint64_t seed)
    : sc_core::sc_module(name), period_(sc_core::sc_time(1.0 / spec.clock_GHz, sc_core::SC_NS)),
      units_(reduce_units(spec)), blocks_(std::make_unique<Blocks>(period_)), rng_(seed) {
  SC_HAS_PROCESS(CoprocessorRtl);
  SC_THREAD(serve_jobs);
}

CoprocessorRtl::~CoprocessorRtl() = default;

sc_time CoprocessorRtl::decode(const Transfer& t, int gpus_per_node) {
  isa::GlobalAddress dst;
  dst.where.node = static_cast<unsigned>(t.dst / gpus_per_node);
  dst.where.gpu = static_cast<unsigned>(t.dst % gpus_per_node);
  // Where the window lands and comes from: distinct per (stream, window), inside the 40-bit offset.
  const uint64_t offset = (static_cast<uint64_t>(t.stream) << 22 | static_cast<uint64_t>(t.window) << 10) &
                          (isa::kOffsetLimit - 1);
  dst.offset = offset;
  return decode(isa::make("WRITE",
                           {{"dst", isa::pack_address(dst)}, {"src", offset}, {"bytes", std::max<uint64_t>(1, t.bytes)}}));
}

sc_time CoprocessorRtl::decode(const isa::Instruction& insn) {
  const isa::Descriptor descriptor = isa::encode(insn);
  const isa::DecodeResult want = isa::decode(descriptor.data());
  const rtl::RtlDecoded got = blocks_->decoder.decode(descriptor);
  bool same = got.reason == want.reason && got.opcode == descriptor[0];
  if (same && want.ok())
    for (size_t f = 0; f < want.instruction.spec->fields.size(); ++f)
      same = same && got.fields[f] == want.instruction.values[f];
  ++stats_.descriptors;
  stats_.decode_cycles += got.cycles;
  if (!same || !want.ok()) ++stats_.decoder_mismatches;
  return sc_core::sc_time_stamp();
}

void CoprocessorRtl::reduce(const ReduceWork& work, const sc_time& arrival, std::function<void(const sc_time&)> then) {
  Job job{work, arrival, queued_++, std::move(then)};
  auto at = std::upper_bound(jobs_.begin(), jobs_.end(), job, [](const Job& a, const Job& b) {
    return a.arrival != b.arrival ? a.arrival < b.arrival : a.order < b.order;
  });
  jobs_.insert(at, std::move(job));
  job_added_.notify(sc_core::SC_ZERO_TIME);
}

void CoprocessorRtl::serve_jobs() {
  for (;;) {
    if (jobs_.empty()) {
      wait(job_added_);
      continue;
    }
    const sc_time now = sc_core::sc_time_stamp();
    if (jobs_.front().arrival > now) {
      wait(jobs_.front().arrival - now, job_added_);  // an earlier job may come in meanwhile
      continue;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    stats_.reduce_cycles += run_slice(job.work);
    ++stats_.reduce_jobs;
    job.then(sc_core::sc_time_stamp());
  }
}

uint64_t CoprocessorRtl::run_slice(const ReduceWork& w) {
  const uint64_t elements = w.outputs * w.cols_per_row;
  const uint64_t cols = std::max<uint64_t>(1, (elements + static_cast<uint64_t>(units_) - 1) / static_cast<uint64_t>(units_));
  const isa::Dtype out_type = w.accumulate ? isa::Dtype::fp32 : isa::Dtype::bf16;
  std::vector<std::vector<uint8_t>> rows;
  std::vector<isa::RowAddend> addends;
  if (w.accumulate) {
    rows.emplace_back();
    for (uint64_t i = 0; i < cols; ++i) append_le(rows.back(), random_fp32_bits(rng_), 4);
  }
  for (uint64_t k = 0; k < w.addends; ++k) {
    rows.emplace_back();
    for (uint64_t i = 0; i < cols; ++i) append_le(rows.back(), random_fp32_bits(rng_) >> 16, 2);  // BF16
  }
  std::vector<rtl::ReduceAddend> rtl_addends;
  for (size_t k = 0; k < rows.size(); ++k) {
    const isa::Dtype type = w.accumulate && k == 0 ? isa::Dtype::fp32 : isa::Dtype::bf16;
    addends.push_back({type, rows[k].data()});
    rtl_addends.push_back({type, rows[k].data()});
  }
  const rtl::ReduceOutcome got = blocks_->reduce.reduce(rtl_addends, cols, out_type);
  std::vector<uint8_t> want(isa::row_bytes(out_type, cols));
  if (!isa::reduce_row(addends, cols, out_type, want.data()).empty())
    throw std::logic_error("co-processor RTL check: the reference sum of finite addends failed");
  const uint64_t width = out_type == isa::Dtype::fp32 ? 4 : 2;
  for (uint64_t i = 0; i < cols; ++i)
    if (!std::equal(want.begin() + static_cast<std::ptrdiff_t>(i * width),
                    want.begin() + static_cast<std::ptrdiff_t>((i + 1) * width),
                    got.row.begin() + static_cast<std::ptrdiff_t>(i * width)))
      ++stats_.reduce_wrong_elements;
  stats_.reduce_elements_checked += cols;
  return got.cycles;
}

#else  // built without Verilator: Cluster refuses `coprocessor.model: rtl` before constructing one

bool coprocessor_rtl_available() { return false; }

struct CoprocessorRtl::Blocks {};

CoprocessorRtl::CoprocessorRtl(sc_core::sc_module_name name, const config::CoprocessorSpec&, uint64_t)
    : sc_core::sc_module(name), units_(0) {
  throw std::logic_error("CoprocessorRtl: this build has no RTL models");
}
CoprocessorRtl::~CoprocessorRtl() = default;
sc_time CoprocessorRtl::decode(const Transfer&, int) { return sc_core::sc_time_stamp(); }
sc_time CoprocessorRtl::decode(const isa::Instruction&) { return sc_core::sc_time_stamp(); }
void CoprocessorRtl::reduce(const ReduceWork&, const sc_time&, std::function<void(const sc_time&)>) {}
void CoprocessorRtl::serve_jobs() {}
uint64_t CoprocessorRtl::run_slice(const ReduceWork&) { return 0; }

#endif

}  // namespace hwlab::emulator

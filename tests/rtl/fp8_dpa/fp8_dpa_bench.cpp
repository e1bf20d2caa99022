// The FP8 dot-product-accumulate bench: references and the driver (fp8_dpa_bench.h).
#include "fp8_dpa_bench.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>

#include "isa/numerics/block_fma_detail.h"

namespace hwlab::rtl::fp8_dpa_test {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

const Fp8DpaVariant& variant(const std::string& name) {
  for (const Fp8DpaVariant& v : hwlab::rtl::kFp8DpaVariants) {
    if (name == v.name) return v;
  }
  FAIL("no variant " << name);
  std::abort();
}

// ------------------------------------------------------------------------------------------------
// References

uint32_t scaled_block(const nx::BlockFmaModel& model, const Fp8DpaInput& in, int n) {
  namespace d = nx::detail;
  if (in.scale_a == 0xFF || in.scale_b == 0xFF) return 0x7FFFFFFFu;
  const nx::Format f = format_of(in);
  const nx::FormatInfo& fi = nx::format_info(f);
  const int scale_exponent = int{in.scale_a} + int{in.scale_b} - 254;
  struct Operand {
    d::Special special = d::Special::none;
    bool zero = false, negative = false;
    int64_t significand = 0;
    int lsb = 0, exponent = 0;
  };
  auto operand = [&](uint8_t code) {
    Operand o;
    o.negative = (code & 0x80) != 0;
    if (nx::is_nan_code(f, code)) {
      o.special = d::Special::nan;
    } else if (nx::is_inf_code(f, code)) {
      o.special = o.negative ? d::Special::neg_inf : d::Special::pos_inf;
    } else {
      const uint32_t field = (code >> fi.fraction_bits) & ((1u << fi.exponent_bits) - 1u);
      const uint32_t frac = code & ((1u << fi.fraction_bits) - 1u);
      const int64_t sig = field == 0 ? frac : (frac | (1u << fi.fraction_bits));
      o.zero = sig == 0;
      o.significand = o.negative ? -sig : sig;
      o.exponent = field == 0 ? fi.min_exponent : static_cast<int>(field) - fi.bias;
      o.lsb = o.exponent - fi.fraction_bits;
    }
    return o;
  };
  std::vector<d::Term> terms;
  d::BlockProducts p;
  for (int i = 0; i < n; ++i) {
    const Operand x = operand(in.a[i]), y = operand(in.b[i]);
    const d::Special s = d::product_special(x.special, x.zero, x.negative, y.special, y.zero, y.negative);
    if (s != d::Special::none) {
      p.special = d::combine(p.special, s);
      continue;
    }
    if (x.zero || y.zero) {
      p.zeros_all_negative = p.zeros_all_negative && (x.negative != y.negative);
      continue;
    }
    d::Term t;
    t.significand = x.significand * y.significand;
    t.lsb_exponent = x.lsb + y.lsb + scale_exponent;
    t.alignment_exponent = x.exponent + y.exponent + scale_exponent;
    terms.push_back(t);
  }
  p.terms = terms.data();
  p.count = static_cast<int>(terms.size());
  d::BlockValue acc;
  d::load(acc, nx::float_from_bits(in.c));
  d::run_block(model, p, acc);
  return nx::float_bits(d::finish(model, acc));
}

// ------------------------------------------------------------------------------------------------
// Driving the unit

std::string hex32(uint32_t x) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08X", x);
  return s;
}

std::string describe(const Fp8DpaInput& in, int n, bool scaled) {
  std::string s = std::string(in.e5m2 ? "e5m2" : "e4m3") + " a=";
  char buf[8];
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", in.a[i]);
    s += buf;
  }
  s += " b=";
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", in.b[i]);
    s += buf;
  }
  s += " c=" + hex32(in.c);
  if (scaled) s += " scale_a=" + std::to_string(in.scale_a) + " scale_b=" + std::to_string(in.scale_b);
  return s;
}

RunResult run_stream(Fp8DpaSim& sim, uint64_t count, const std::function<Fp8DpaInput(uint64_t)>& gen,
                     const std::function<uint32_t(const Fp8DpaInput&)>& ref, std::mt19937_64& rng,
                     Pressure pressure, bool keep_outputs) {
  RunResult r;
  struct Pending {
    Fp8DpaInput input;
    uint32_t want;
  };
  std::deque<Pending> in_flight;
  Fp8DpaInput next;
  bool have_next = false;
  uint64_t submitted = 0, received = 0;
  bool held = false;  // last cycle: out_valid && !out_ready
  uint32_t held_d = 0;
  const uint64_t cycle_limit = sim.cycles() + 100 * count + 1000;
  sim.reset();
  while (received < count) {
    if (sim.cycles() > cycle_limit) {
      FAIL("the unit stopped: " << received << " of " << count << " outputs after " << sim.cycles()
                                << " cycles");
    }
    if (!have_next && submitted < count &&
        static_cast<int>(rng() % 100) < pressure.valid_percent) {
      next = gen(submitted);
      have_next = true;
    }
    const bool out_ready = static_cast<int>(rng() % 100) < pressure.ready_percent;
    sim.drive(have_next, next, out_ready);
    if (held && (!sim.out_valid() || sim.out_d() != held_d)) ++r.protocol_errors;
    if (sim.out_valid() && out_ready) {
      if (in_flight.empty()) {
        ++r.protocol_errors;  // an output nobody asked for
      } else {
        const Pending p = in_flight.front();
        in_flight.pop_front();
        const uint32_t got = sim.out_d();
        r.count_class(p.want);
        if (keep_outputs) r.outputs.push_back(got);
        if (got != p.want) {
          ++r.mismatches;
          if (r.first.size() < 8) r.first.push_back({p.input, got, p.want});
        }
        ++received;
      }
    }
    held = sim.out_valid() && !out_ready;
    held_d = sim.out_d();
    if (have_next && sim.in_ready()) {
      in_flight.push_back({next, ref(next)});
      have_next = false;
      ++submitted;
    }
    sim.clock();
  }
  r.vectors = count;
  return r;
}

void report(const Fp8DpaVariant& v, const char* what, const RunResult& r) {
  INFO(v.name << " (V" << v.rtl_name << ", model " << v.model << "): " << what);
  for (const Mismatch& m : r.first) {
    std::printf("rtl fp8_dpa %s mismatch: %s: rtl %s, model %s\n", v.name,
                describe(m.input, v.products, v.scaled).c_str(), hex32(m.got).c_str(), hex32(m.want).c_str());
  }
  if (!r.first.empty()) {
    if (const char* path = std::getenv("HWLAB_RTL_TRACE"); path != nullptr && *path != '\0') {
      if (!hwlab::rtl::tracing_available()) {
        WARN("HWLAB_RTL_TRACE: this bench has no tracing; build and run test_rtl_fp8_dpa_traced");
      } else {
        auto sim = hwlab::rtl::make_fp8_dpa_sim(v.name, path);
        std::mt19937_64 rng(1);
        const Fp8DpaInput first = r.first.front().input;
        Reference ref(v);
        run_stream(*sim, 1, [&](uint64_t) { return first; }, ref, rng, Pressure{100, 100});
        WARN("waveform of the first mismatch: " << path);
      }
    }
  }
  auto u = [](uint64_t x) { return static_cast<unsigned long long>(x); };
  std::printf("rtl fp8_dpa %-12s %-8s vectors %8llu  mismatches %llu  protocol errors %llu  "
              "(results: %llu NaN, %llu inf, %llu zero, %llu subnormal, %llu normal)\n",
              v.name, what, u(r.vectors), u(r.mismatches), u(r.protocol_errors), u(r.nan), u(r.inf), u(r.zero),
              u(r.subnormal), u(r.normal));
  CHECK(r.protocol_errors == 0);
  CHECK(r.mismatches == 0);
}

}  // namespace hwlab::rtl::fp8_dpa_test

// Pieces shared by the co-processor RTL benches: how many vectors to run, where a waveform of the
// first failing vector goes, and a Verilated model with its clock and optional FST trace.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include <verilated.h>
#include <verilated_fst_c.h>

namespace hwlab::rtl::test {

// HWLAB_RTL_VECTORS=N runs N random vectors per test (the full run); CI runs `ci_default`.
inline uint64_t vector_count(uint64_t ci_default) {
  const char* s = std::getenv("HWLAB_RTL_VECTORS");
  return s && *s ? std::strtoull(s, nullptr, 10) : ci_default;
}

// HWLAB_RTL_SEED=S changes the random vectors (default 1).
inline uint64_t seed() {
  const char* s = std::getenv("HWLAB_RTL_SEED");
  return s && *s ? std::strtoull(s, nullptr, 10) : 1;
}

// HWLAB_RTL_TRACE=file.fst: the bench re-runs its first failing vector alone with tracing into it.
inline std::string trace_path() {
  const char* s = std::getenv("HWLAB_RTL_TRACE");
  return s ? s : "";
}

inline bool coin(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

// A Verilated model `V` (ports clk and rst_n) with its own context, reset, and a trace when asked.
template <class V>
class Clocked {
 public:
  explicit Clocked(const std::string& trace = "") : context_(std::make_unique<VerilatedContext>()) {
    if (!trace.empty()) context_->traceEverOn(true);
    top_ = std::make_unique<V>(context_.get());
    if (!trace.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      top_->trace(trace_.get(), 99);
      trace_->open(trace.c_str());
    }
    top_->rst_n = 0;
    for (int i = 0; i < 2; ++i) cycle_edge_low(), cycle_edge_high();
    top_->rst_n = 1;
  }
  ~Clocked() {
    if (trace_) trace_->close();
    top_->final();
  }
  V& operator*() { return *top_; }
  V* operator->() { return top_.get(); }

  // One cycle in two halves: inputs set by the caller settle with the clock low (combinational
  // outputs such as in_ready are valid after this), then the rising edge.
  void cycle_edge_low() { half(0); }
  void cycle_edge_high() { half(1); }

 private:
  void half(uint8_t clk) {
    top_->clk = clk;
    top_->eval();
    if (trace_) trace_->dump(time_);
    time_ += 5;
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<V> top_;
  std::unique_ptr<VerilatedFstC> trace_;
  uint64_t time_ = 0;
};

}  // namespace hwlab::rtl::test

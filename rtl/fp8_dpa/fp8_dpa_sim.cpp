// Fp8DpaSim over each variant's Verilated model (fp8_dpa_unit with the variant's parameters).
// Compiled into hwlab_rtl_fp8_dpa and, with VM_TRACE=1 (Verilator --trace-fst), into
// hwlab_rtl_fp8_dpa_traced.
#include "rtl/fp8_dpa/fp8_dpa_sim.h"

#include <verilated.h>
#if VM_TRACE
#include <verilated_fst_c.h>
#endif

// One Verilated model per row of kFp8DpaVariants (fp8_dpa.cmake): their headers and
// HWLAB_FP8_DPA_MODELS(X), X(name, class) for each.
#include "fp8_dpa_models.h"

namespace hwlab::rtl {
namespace {

// Codes 4k .. 4k+3 go to word k of a wide port (code i is port bits 8i+7 .. 8i).
template <std::size_t W>
void put_codes(VlWide<W>& port, const uint8_t* codes) {
  for (std::size_t w = 0; w < W; ++w) {
    port[w] = static_cast<uint32_t>(codes[4 * w]) | (static_cast<uint32_t>(codes[4 * w + 1]) << 8) |
              (static_cast<uint32_t>(codes[4 * w + 2]) << 16) | (static_cast<uint32_t>(codes[4 * w + 3]) << 24);
  }
}

template <class M>
class Sim final : public Fp8DpaSim {
 public:
  explicit Sim(const std::string& trace_path) {
    context_ = std::make_unique<VerilatedContext>();
#if VM_TRACE
    if (!trace_path.empty()) context_->traceEverOn(true);
#else
    (void)trace_path;
#endif
    model_ = std::make_unique<M>(context_.get(), "fp8_dpa");
#if VM_TRACE
    if (!trace_path.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      model_->trace(trace_.get(), 99);
      trace_->open(trace_path.c_str());
    }
#endif
    model_->clk = 0;
    model_->rst_n = 0;
    model_->in_valid = 0;
    model_->out_ready = 0;
    model_->eval();
  }
  ~Sim() override {
    model_->final();
#if VM_TRACE
    if (trace_) trace_->close();
#endif
  }

  void reset() override {
    model_->rst_n = 0;
    model_->in_valid = 0;
    model_->out_ready = 0;
    model_->eval();
    dump();
    clock();
    clock();
    model_->rst_n = 1;
    model_->eval();
  }

  void drive(bool in_valid, const Fp8DpaInput& in, bool out_ready) override {
    model_->in_valid = in_valid;
    model_->in_e5m2 = in.e5m2;
    put_codes(model_->in_a, in.a);
    put_codes(model_->in_b, in.b);
    model_->in_c = in.c;
    model_->in_scale_a = in.scale_a;  // every variant has the ports; only SCALED = 1 reads them
    model_->in_scale_b = in.scale_b;
    model_->out_ready = out_ready;
    model_->eval();
    dump();
  }

  bool in_ready() const override { return model_->in_ready != 0; }
  bool out_valid() const override { return model_->out_valid != 0; }
  uint32_t out_d() const override { return model_->out_d; }

  void clock() override {
    model_->clk = 1;
    model_->eval();
    context_->timeInc(1);
    dump();
    model_->clk = 0;
    model_->eval();
    context_->timeInc(1);
    ++cycles_;
  }

  uint64_t cycles() const override { return cycles_; }

 private:
  void dump() {
#if VM_TRACE
    if (trace_) trace_->dump(context_->time());
#endif
  }

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<M> model_;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> trace_;
#endif
  uint64_t cycles_ = 0;
};

}  // namespace

bool tracing_available() { return VM_TRACE != 0; }

std::unique_ptr<Fp8DpaSim> make_fp8_dpa_sim(std::string_view name, const std::string& trace_path) {
#define HWLAB_FP8_DPA_MAKE(variant, Model) \
  if (name == (variant)) return std::make_unique<Sim<Model>>(trace_path);
  HWLAB_FP8_DPA_MODELS(HWLAB_FP8_DPA_MAKE)
#undef HWLAB_FP8_DPA_MAKE
  return nullptr;
}

}  // namespace hwlab::rtl

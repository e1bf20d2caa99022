// A proposal: what a vendor changes. It may override any platform key (under `platform:`, merged
// onto the platform before it is read) and adds the proposed units: a communication co-processor and
// tensor-core numerics.
#pragma once

#include <optional>
#include <string>

#include "common/config/fields.h"

namespace hwlab::config {

// How the emulator models the co-processor's blocks: throughput servers (TLM), or the Verilated RTL of
// the descriptor decoder and the reduce unit run cycle by cycle inside the simulation (rtl/coproc).
enum class CoprocessorModel { tlm, rtl };
inline const Choices<CoprocessorModel>& coprocessor_model_choices() {
  static const Choices<CoprocessorModel> c = {{"tlm", CoprocessorModel::tlm}, {"rtl", CoprocessorModel::rtl}};
  return c;
}

// What a co-processor executes in a timed MoE run: the plan's windows as one WRITE descriptor each
// (DeepEP-like order: every destination's window w before any window w+1, pushes only), or the ISA
// programs of isa/moe (DISPATCH / COMBINE descriptors reading their routing tables, SIGNAL/WAIT
// counters, pull-based combine), expanded by the co-processor's table walker.
enum class CoprocessorProgram { windows, isa };
inline const Choices<CoprocessorProgram>& coprocessor_program_choices() {
  static const Choices<CoprocessorProgram> c = {{"windows", CoprocessorProgram::windows},
                                                {"isa", CoprocessorProgram::isa}};
  return c;
}

// The communication co-processor next to the GPU/NIC that runs dispatch/combine instead of SMs.
struct CoprocessorSpec {
  int command_queues = 0;
  int queue_depth = 0;
  int dma_engines = 0;
  double dma_engine_GBps = 0;
  double reduce_GBps = 0;
  double issue_latency_us = 0;
  CoprocessorModel model = CoprocessorModel::tlm;
  double clock_GHz = 1.5;
  CoprocessorProgram program = CoprocessorProgram::windows;

  template <class V>
  void fields(V& v) {
    v.required("command_queues", command_queues, "independent command queues", at_least(1));
    v.required("queue_depth", queue_depth, "descriptors each queue holds", at_least(1));
    v.required("dma_engines", dma_engines, "DMA engines moving data", at_least(1));
    v.required("dma_engine_GBps", dma_engine_GBps, "bandwidth of one DMA engine, GB/s", positive());
    v.required("reduce_GBps", reduce_GBps, "input bandwidth of the reduce unit (combine), GB/s", positive());
    v.required("issue_latency_us", issue_latency_us, "time from descriptor to first byte, us", at_least(0));
    v.optional_choice("model", model, CoprocessorModel::tlm, coprocessor_model_choices(),
                      "tlm: throughput models; rtl: the Verilated decoder and reduce unit, cycle by cycle");
    v.optional("clock_GHz", clock_GHz, 1.5, "clock of the co-processor's RTL blocks (model rtl), GHz", positive());
    v.optional_choice("program", program, CoprocessorProgram::windows, coprocessor_program_choices(),
                      "windows: one WRITE per window of the plan; isa: the DISPATCH/COMBINE programs of isa/moe");
  }
};

enum class ScalingGranularity { per_tensor, deepseek_1x128_128x128, mx_1x32 };
inline const Choices<ScalingGranularity>& scaling_granularity_choices() {
  static const Choices<ScalingGranularity> c = {
      {"per-tensor", ScalingGranularity::per_tensor},
      {"deepseek-1x128-128x128", ScalingGranularity::deepseek_1x128_128x128},
      {"mx-1x32", ScalingGranularity::mx_1x32}};
  return c;
}

// FP8 tensor-core accumulation and scaling.
struct NumericsSpec {
  std::string accumulator;
  int promotion_interval = 0;
  ScalingGranularity scaling = ScalingGranularity::deepseek_1x128_128x128;
  bool scales_inside_mma = false;

  template <class V>
  void fields(V& v) {
    v.required("accumulator", accumulator,
               "block-FMA model: h100-fp8, fp32-acc, acc-<fraction bits>, ... (see isa/numerics)");
    v.required("promotion_interval", promotion_interval,
               "elements of K between promotions to FP32 (0: never promote)", at_least(0));
    v.choice("scaling", scaling, scaling_granularity_choices(), "scaling granularity");
    v.optional("scales_inside_mma", scales_inside_mma, false, "group-scaled MMA: scales applied inside the block FMA");
  }
};

struct ProposalConfig {
  std::string name;
  std::string description;
  std::optional<CoprocessorSpec> coprocessor;
  std::optional<NumericsSpec> numerics;

  template <class V>
  void fields(V& v) {
    v.passthrough("kind");
    v.required("name", name, "proposal name");
    v.optional("description", description, std::string(), "what is proposed");
    v.passthrough("platform");  // read as part of the platform it overrides
    v.optional_section("coprocessor", coprocessor, "communication co-processor (absent: SMs communicate)");
    v.optional_section("numerics", numerics, "tensor-core numerics (absent: the platform's own)");
  }
  void check(const Checker&) const {}
};

}  // namespace hwlab::config

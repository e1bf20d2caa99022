// The accumulation-error study: error of FP8 GEMMs versus K for each block-FMA model and promotion
// strategy, on several input distributions, against the exact sum.
//
// For every (preset, strategy, input, K): A (M x K) and B (N x K) are drawn with probe_inputs.h's
// generator (the same inputs for every preset and strategy), the GEMM runs through gemm() with
// per-tensor scales 1, and each output is compared with the exact sum of its products (an int128
// fixed point, converted to double once). Metrics: normwise relative error ||D - R||_F / ||R||_F,
// and the median and maximum of |D - R| / |R| over the outputs with R != 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/numerics/formats.h"
#include "isa/numerics/probe_inputs.h"

namespace hwlab::numerics {

struct StudyConfig {
  int m = 16, n = 16;
  std::vector<int> ks{256, 512, 1024, 2048, 4096, 8192, 16384};
  std::vector<std::string> presets{"h100-fp8", "ada-fp8", "h100-fp16", "acc-16", "acc-20", "acc-23", "fp32-acc"};
  std::vector<int> promotions{0, 32, 64, 128, 256, 512};  // 0: no promotion
  std::vector<probe::Style> inputs{probe::Style::normal, probe::Style::uniform01, probe::Style::activation};
  Format format = Format::e4m3;
  uint64_t seed = 1;
};

struct StudyCell {
  std::string preset;
  int promotion;  // 0: none
  probe::Style input;
  int k;
  double normwise_rel_err;
  double median_elem_rel_err;
  double max_elem_rel_err;
};

// Empty when the configuration can run, else what is wrong (a promotion interval the preset's block
// does not divide, K not a multiple of the interval, ...).
std::string check_study(const StudyConfig& config);

// Cells in the order preset, promotion, input, k. Throws UserError when check_study complains.
std::vector<StudyCell> run_study(const StudyConfig& config);

// "none" or "nc<N>".
std::string strategy_name(int promotion);

}  // namespace hwlab::numerics

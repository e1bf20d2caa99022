// Entry points of `hwlab measure`, and the options they take. The CPU-only library implements the
// option checks; the GPU library (runtime/*.cu, *_gpu.cpp) implements the runs. Without CUDA the run
// functions say "no CUDA device" and exit 2 (runtime/measure_stub.cpp).
#pragma once

#include <string>
#include <vector>

#include "runtime/launcher.h"

namespace hwlab::runtime {

enum class CommMode { sm, nccl, copy_engine };
CommMode parse_comm_mode(const std::string& text);  // "sm" | "nccl" | "copy-engine"; UserError otherwise
const char* comm_mode_name(CommMode mode);

// How the SM exchange combines: `push` (every GPU writes its weighted rows into the owners' staging
// rows, a GPU barrier, the owner sums its staging rows) or `pull` (a GPU barrier, the owner reads the
// weighted rows from the GPUs that computed them and sums them at once, a GPU barrier so that no GPU
// overwrites rows still being read). Same sums, same order, same bytes out.
enum class CombineMethod { push, pull };
CombineMethod parse_combine_method(const std::string& text);  // "push" | "pull"; UserError otherwise
const char* combine_method_name(CombineMethod method);

// The expert GEMMs' FP8 scaling: "tensor" (one scale, 1) or "block" (DeepSeek-V3's 1x128 token and
// 128x128 weight scales, applied by cuBLASLt). UserError otherwise.
bool parse_block_scaling(const std::string& text);

struct CommonMeasureOptions {
  LaunchOptions launch;
  std::vector<std::string> argv;  // the command line as typed (the result's run block, relaunching)
  int warmup = 5, iterations = 20;
  int timeout_s = 300;            // an NCCL call or a peer wait that takes longer aborts the run
  std::string out;                // result file ("" = none)
};

struct CollectiveOptions {
  CommonMeasureOptions common;
  std::string op = "alltoall";
  std::string bytes = "1M:256M:2";
};

struct MoeOptions {
  CommonMeasureOptions common;
  std::string workload = "dsv3-prefill";
  std::string platform;                 // "" = from the device name (h100, h200), else h100
  std::vector<std::string> overrides;   // --set
  int layer = 0;
  std::string comm = "sm";
  std::string sm_combine = "pull";      // CombineMethod of the sm exchange
  std::string comm_sms;                 // "" = the workload's comm_sms; "8" or a sweep "2,4,8" / "2:32"
  std::string gemm_scales = "block";    // parse_block_scaling
  bool no_gemm = false;                 // communication only (GEMMs skipped; combine gets test values)
  bool green_contexts = true;           // confine GEMMs to SMs - k with green contexts
  int repeat_hash = 0;                  // > 0: run the exchange this many times and hash every output
};

// "8" -> {8}; "2,4,8" -> {2,4,8}; "2:32" -> {2,4,8,16,32} (doubling); each in 1..1024.
std::vector<int> parse_sm_counts(const std::string& text);

// Throws UserError on bad values (iterations < 1, timeout < 1, ...).
void check_common(const CommonMeasureOptions& o);

// Both return the process exit status (0 ok, 1 wrong values / NCCL failure / timeout, 2 user error).
int run_measure_collective(const CollectiveOptions& o);
int run_measure_moe(const MoeOptions& o);

}  // namespace hwlab::runtime

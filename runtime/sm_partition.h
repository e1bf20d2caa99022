// Confining work to a subset of SMs with CUDA green contexts: the GPU's SMs are split into a GEMM
// partition (SMs - k, rounded down to the split granularity, 8 SMs on Hopper) and a communication
// partition (the rest), each a green context with its own stream. Kernels and cuBLASLt calls issued
// into a lane's stream (with the lane's context current, see Lane::Use) run only on that
// partition's SMs: this is how "GEMMs with k SMs withheld" are measured. confinement is checked by
// a probe kernel that records the SM ids it lands on (kernels/checks.h).
// The driver API is reached through cudaGetDriverEntryPointByVersion: no link against libcuda.
#pragma once

#include <cuda.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>

namespace hwlab::runtime {

// A stream plus the context its work must be issued from (nullptr: the primary context).
struct Lane {
  CUcontext ctx = nullptr;
  cudaStream_t stream = nullptr;
  int sms = 0;  // SMs this lane may use

  // Makes the lane's context current for the scope (no-op for the primary context).
  class Use {
   public:
    explicit Use(const Lane& lane);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    bool pushed_ = false;
  };
  // An event of this lane's context (events must be recorded in a stream of their own context).
  cudaEvent_t make_event(bool timing = true) const;
};

class SmPartition {
 public:
  // Splits `device`: GEMM partition of about total - comm_sms SMs. Returns nullptr and sets *why
  // when green contexts are unavailable or the split is refused.
  static std::unique_ptr<SmPartition> create(int device, int comm_sms, std::string* why);
  ~SmPartition();

  Lane gemm, comm;
  int granularity = 0;  // minimum partition / step the driver reported

 private:
  SmPartition() = default;
  CUgreenCtx gemm_green_ = nullptr, comm_green_ = nullptr;
};

// Lanes on the primary context with ordinary streams (no confinement).
Lane primary_lane(int sms);

}  // namespace hwlab::runtime

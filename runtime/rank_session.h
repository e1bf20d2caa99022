// What every `hwlab measure` rank sets up before measuring: its GPU, NCCL's unique id (from the
// launcher, the coordinator or made here), the communicator, and the device block of the result
// (GPU name, driver, NCCL / cuBLASLt versions, NICs). run_ranks() is the common entry: it launches
// the ranks when this process is the launcher, maps errors to exit statuses (2: no CUDA device or a
// user error, 1: a rank failed), and runs `body` on every rank.
#pragma once

#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "runtime/communicator.h"
#include "runtime/launcher.h"
#include "runtime/measure.h"

namespace hwlab::runtime {

struct RankSession {
  RankPlacement placement;
  int device = 0;
  cudaDeviceProp prop{};
  std::unique_ptr<Communicator> comm;
  DeviceInfo device_info;  // filled on every rank (names gathered from all)
  std::string command_line;

  int rank() const { return placement.rank; }
  int world() const { return placement.world; }
  bool leader() const { return placement.rank == 0; }
};

int run_ranks(const CommonMeasureOptions& options, const std::function<int(RankSession&)>& body);

// The NVIDIA driver version from NVML ("580.159.04"), or the CUDA driver API version if NVML is absent.
std::string driver_version();

// The platform preset matching a device name ("NVIDIA H200" -> h200, H100 -> h100, else h100).
std::string platform_for_device(const std::string& device_name);

// Milliseconds between two events, checked.
float elapsed_ms(cudaEvent_t start, cudaEvent_t stop);

}  // namespace hwlab::runtime

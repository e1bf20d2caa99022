// Which parts of the cluster are down or degraded (platform.faults), and how traffic gets around
// them: a GPU whose NIC is down sends and receives IB traffic through a node peer over NVLink (like
// NCCL's PXN); a GPU with NVLink links down keeps a fraction of its port bandwidth; a straggler's
// compute runs slower.
#pragma once

#include <string>
#include <vector>

#include "common/config/platform.h"

namespace hwlab::emulator {

class FaultState {
 public:
  FaultState() = default;
  // Throws UserError when a listed GPU does not exist, or when a node is left without any way out.
  FaultState(const config::PlatformConfig& platform, int gpus);

  bool nic_ok(int gpu) const { return nic_ok_.empty() || nic_ok_[static_cast<size_t>(gpu)]; }
  double nvlink_factor(int gpu) const { return nvlink_factor_.empty() ? 1.0 : nvlink_factor_[static_cast<size_t>(gpu)]; }
  double slowdown(int gpu) const { return slowdown_.empty() ? 1.0 : slowdown_[static_cast<size_t>(gpu)]; }
  // A node peer of `gpu` with a working NIC to relay IB traffic through, preferring
  // `preferred_plane` (-1: any); -1 when there is none.
  int relay_for(int gpu, int gpus_per_node, int planes, int preferred_plane) const;

 private:
  int gpus_ = 0;
  std::vector<char> nic_ok_;
  std::vector<double> nvlink_factor_, slowdown_;
};

}  // namespace hwlab::emulator

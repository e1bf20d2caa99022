#include "emulator/core/fault_state.h"

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::emulator {

FaultState::FaultState(const config::PlatformConfig& p, int gpus) : gpus_(gpus) {
  if (!p.faults) return;
  const auto& f = *p.faults;
  auto check = [&](const std::vector<int>& list, const char* key) {
    for (int g : list)
      if (g >= gpus)
        throw UserError(fmt::format("platform.faults.{}: GPU {} does not exist in a deployment of {} GPUs", key, g,
                                    gpus));
  };
  check(f.nic_down, "nic_down");
  check(f.nvlink_degraded, "nvlink_degraded");
  check(f.stragglers, "stragglers");
  nic_ok_.assign(static_cast<size_t>(gpus), 1);
  for (int g : f.nic_down) nic_ok_[static_cast<size_t>(g)] = 0;
  nvlink_factor_.assign(static_cast<size_t>(gpus), 1.0);
  for (int g : f.nvlink_degraded) nvlink_factor_[static_cast<size_t>(g)] = f.nvlink_degraded_factor;
  slowdown_.assign(static_cast<size_t>(gpus), 1.0);
  for (int g : f.stragglers) slowdown_[static_cast<size_t>(g)] = f.straggler_slowdown;
  const int per_node = p.node.gpus_per_node;
  for (int g = 0; g < gpus; ++g) {
    if (!nic_ok(g) && relay_for(g, per_node, p.fabric.planes, -1) < 0 && gpus > per_node)
      throw UserError(fmt::format("platform.faults.nic_down: GPU {} has no node peer with a working NIC and NVLink "
                                  "to relay its IB traffic through",
                                  g));
  }
}

int FaultState::relay_for(int gpu, int per_node, int planes, int preferred_plane) const {
  const int first = gpu / per_node * per_node;
  int any = -1;
  for (int g = first; g < first + per_node && g < gpus_; ++g) {
    if (g == gpu || !nic_ok(g)) continue;
    if (preferred_plane < 0 || (g % per_node) % planes == preferred_plane) return g;
    if (any < 0) any = g;
  }
  return any;
}

}  // namespace hwlab::emulator

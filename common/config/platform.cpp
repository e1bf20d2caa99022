#include "common/config/platform.h"

#include <cmath>

#include <fmt/format.h>

namespace hwlab::config {

void NodeSpec::check(const Checker& c) const {
  c.require(nvlink_achievable_GBps <= nvlink_bidirectional_GBps / 2, "nvlink_achievable_GBps",
            fmt::format("{} GB/s per direction exceeds half of nvlink_bidirectional_GBps ({} GB/s, set at {})",
                        nvlink_achievable_GBps, nvlink_bidirectional_GBps,
                        c.location("nvlink_bidirectional_GBps").str()));
}

void FabricSpec::check(const Checker& c) const {
  if (topology == FabricTopology::fat_tree)
    c.require(planes == 1, "planes", fmt::format("a plain fat-tree has 1 plane, found {}; use "
                                                 "topology: multi-plane-fat-tree", planes));
  else
    c.require(planes >= 2, "planes", fmt::format("a multi-plane fat-tree needs at least 2 planes, found {}", planes));
  c.require(switch_radix % 2 == 0, "switch_radix",
            fmt::format("a fat-tree switch splits its ports between down- and up-links: expected an even "
                        "radix, found {}", switch_radix));
}

void PlatformConfig::check(const Checker& c) const {
  node.check(c.sub("node"));
  fabric.check(c.sub("fabric"));
  const Checker n = c.sub("nic");
  n.require(nic.achievable_GBps <= nic.link_GBps, "achievable_GBps",
            fmt::format("{} GB/s exceeds the line rate link_GBps ({} GB/s, set at {})", nic.achievable_GBps,
                        nic.link_GBps, n.location("link_GBps").str()));
}

long long PlatformConfig::max_endpoints() const {
  // A `tiers`-level fat-tree of radix-k switches connects 2 (k/2)^tiers hosts; planes add up.
  double half = fabric.switch_radix / 2.0;
  return static_cast<long long>(2 * std::pow(half, fabric.tiers)) * fabric.planes;
}

}  // namespace hwlab::config

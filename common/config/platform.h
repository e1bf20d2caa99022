// The platform config: the hardware a workload runs on (GPU, node, NIC, scale-out fabric).
// Units are in the key names. A proposal may override any of these keys (see proposal.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/fields.h"

namespace hwlab::config {

struct GpuSpec {
  std::string name;
  int sm_count = 0;
  double fp8_dense_tflops = 0;
  double bf16_dense_tflops = 0;
  double hbm_GBps = 0;
  double hbm_GiB = 0;

  template <class V>
  void fields(V& v) {
    v.required("name", name, "product name");
    v.required("sm_count", sm_count, "streaming multiprocessors per GPU", at_least(1));
    v.required("fp8_dense_tflops", fp8_dense_tflops, "dense FP8 tensor-core peak, TFLOP/s", positive());
    v.required("bf16_dense_tflops", bf16_dense_tflops, "dense BF16 tensor-core peak, TFLOP/s", positive());
    v.required("hbm_GBps", hbm_GBps, "HBM bandwidth, GB/s", positive());
    v.required("hbm_GiB", hbm_GiB, "HBM capacity, GiB", positive());
  }
};

// Scale-up domain: GPUs of one node joined by NVLink through NVSwitch.
struct NodeSpec {
  int gpus_per_node = 0;
  double nvlink_bidirectional_GBps = 0;
  double nvlink_achievable_GBps = 0;
  double nvlink_latency_us = 0;
  int nvswitch_count = 0;

  template <class V>
  void fields(V& v) {
    v.required("gpus_per_node", gpus_per_node, "GPUs in one NVLink domain", at_least(1));
    v.required("nvlink_bidirectional_GBps", nvlink_bidirectional_GBps,
               "NVLink bandwidth per GPU, both directions together, GB/s (data sheet)", positive());
    v.required("nvlink_achievable_GBps", nvlink_achievable_GBps,
               "NVLink bandwidth per GPU per direction that software reaches, GB/s", positive());
    v.required("nvlink_latency_us", nvlink_latency_us, "one-way NVLink latency through the switch, us",
               at_least(0));
    v.required("nvswitch_count", nvswitch_count, "NVSwitch chips per node (0: GPUs linked directly)",
               at_least(0));
  }
  void check(const Checker& c) const;
};

// Scale-out NICs attached to each GPU.
struct NicSpec {
  std::string name;
  int count_per_gpu = 0;
  double link_GBps = 0;
  double achievable_GBps = 0;
  double latency_us = 0;

  template <class V>
  void fields(V& v) {
    v.required("name", name, "adapter");
    v.required("count_per_gpu", count_per_gpu, "NICs per GPU", at_least(1));
    v.required("link_GBps", link_GBps, "line rate per NIC per direction, GB/s", positive());
    v.required("achievable_GBps", achievable_GBps, "bandwidth per NIC per direction that software reaches, GB/s",
               positive());
    v.required("latency_us", latency_us, "NIC-to-NIC latency excluding switch hops, us", at_least(0));
  }
};

enum class FabricTopology { fat_tree, multi_plane_fat_tree };
inline const Choices<FabricTopology>& fabric_topology_choices() {
  static const Choices<FabricTopology> c = {{"fat-tree", FabricTopology::fat_tree},
                                            {"multi-plane-fat-tree", FabricTopology::multi_plane_fat_tree}};
  return c;
}

// The scale-out network (InfiniBand) between nodes.
struct FabricSpec {
  FabricTopology topology = FabricTopology::fat_tree;
  int tiers = 0;
  int planes = 0;
  int switch_radix = 0;
  double switch_latency_us = 0;

  template <class V>
  void fields(V& v) {
    v.choice("topology", topology, fabric_topology_choices(), "scale-out topology");
    v.required("tiers", tiers, "switch tiers of each fat-tree", between(1, 3));
    v.required("planes", planes, "independent fabric planes (1 for a plain fat-tree)", at_least(1));
    v.required("switch_radix", switch_radix, "ports per switch", at_least(2));
    v.required("switch_latency_us", switch_latency_us, "latency of one switch hop, us", at_least(0));
  }
  void check(const Checker& c) const;
};

// How fast compute kernels run relative to the data sheet: roofline time from FLOPs and bytes,
// divided by these efficiencies. Calibrated against measured kernels (hwlab measure).
struct ComputeSpec {
  double fp8_gemm_efficiency = 0;
  double bf16_efficiency = 0;
  double hbm_efficiency = 0;
  double sm_hbm_GBps = 0;
  double kernel_launch_us = 0;

  template <class V>
  void fields(V& v) {
    v.required("fp8_gemm_efficiency", fp8_gemm_efficiency, "fraction of FP8 peak an expert GEMM reaches",
               between(0.01, 1));
    v.required("bf16_efficiency", bf16_efficiency, "fraction of BF16 peak attention and gate kernels reach",
               between(0.01, 1));
    v.required("hbm_efficiency", hbm_efficiency, "fraction of HBM bandwidth memory-bound kernels reach",
               between(0.01, 1));
    v.required("sm_hbm_GBps", sm_hbm_GBps, "HBM bandwidth one SM can draw (kernels on few SMs), GB/s", positive());
    v.required("kernel_launch_us", kernel_launch_us, "fixed cost of one kernel, us", at_least(0));
  }
};

// The SM-driven communication baseline (DeepEP-style warp-specialised channels): what one SM moves
// per second in each role, and the fixed cost of one chunk. k SMs give k times the rate.
struct CommSmSpec {
  double nvlink_send_GBps_per_sm = 0;
  double ib_send_GBps_per_sm = 0;
  double forward_GBps_per_sm = 0;
  double receive_GBps_per_sm = 0;
  double reduce_GBps_per_sm = 0;
  double chunk_overhead_us = 0;

  template <class V>
  void fields(V& v) {
    v.required("nvlink_send_GBps_per_sm", nvlink_send_GBps_per_sm, "NVLink send rate of one SM, GB/s", positive());
    v.required("ib_send_GBps_per_sm", ib_send_GBps_per_sm, "IB (RDMA) send rate of one SM, GB/s", positive());
    v.required("forward_GBps_per_sm", forward_GBps_per_sm, "IB-to-NVLink forwarding rate of one SM, GB/s",
               positive());
    v.required("receive_GBps_per_sm", receive_GBps_per_sm, "NVLink receive (copy-out) rate of one SM, GB/s",
               positive());
    v.required("reduce_GBps_per_sm", reduce_GBps_per_sm, "combine reduction input rate of one SM, GB/s",
               positive());
    v.required("chunk_overhead_us", chunk_overhead_us, "fixed SM cost per chunk (signalling, polling), us",
               at_least(0));
  }
};

// packet: every chunk booked on every hop (SystemC/TLM); flow: per-resource loads of each phase
// (emulator/flow/), no transfers, for speed.
enum class NetworkModel { packet, flow };
inline const Choices<NetworkModel>& network_model_choices() {
  static const Choices<NetworkModel> c = {{"packet", NetworkModel::packet}, {"flow", NetworkModel::flow}};
  return c;
}

// How the emulator models this platform.
struct EmulationSpec {
  int chunk_bytes = 0;
  double quantum_us = 0;
  double watchdog_ms = 0;
  NetworkModel network_model = NetworkModel::packet;

  template <class V>
  void fields(V& v) {
    v.required("chunk_bytes", chunk_bytes, "transfer granularity (bytes per chunk)", at_least(256));
    v.required("quantum_us", quantum_us, "temporal-decoupling quantum, us", positive());
    v.required("watchdog_ms", watchdog_ms, "simulated time after which a run is stopped as hung, ms", positive());
    v.optional_choice("network_model", network_model, NetworkModel::packet, network_model_choices(),
                      "packet: every chunk on every hop; flow: per-resource loads of each phase (faster, "
                      "no link faults; papers/validation/flow-model.md)");
  }
};

// Faults to inject (all optional): the run finishes on the rerouted or degraded hardware, or stops
// with a report naming what cannot proceed.
struct FaultSpec {
  std::vector<int> nic_down;      // GPUs whose NIC is down: their IB traffic relays through a node peer
  std::vector<int> nvlink_degraded;  // GPUs with NVLink links down: their port runs at a fraction
  double nvlink_degraded_factor = 1.0;
  std::vector<int> stragglers;    // GPUs whose compute is slower
  double straggler_slowdown = 1.0;

  template <class V>
  void fields(V& v) {
    v.optional("nic_down", nic_down, std::vector<int>{}, "GPUs whose NIC is down (IB traffic relays via a node peer)",
               at_least(0));
    v.optional("nvlink_degraded", nvlink_degraded, std::vector<int>{},
               "GPUs with NVLink links down (their port runs at nvlink_degraded_factor)", at_least(0));
    v.optional("nvlink_degraded_factor", nvlink_degraded_factor, 1.0,
               "fraction of NVLink bandwidth a degraded port keeps (e.g. 0.875 with 1 of 8 links down)",
               Bounds{0.0, 1.0, true});
    v.optional("stragglers", stragglers, std::vector<int>{}, "GPUs whose compute runs slower", at_least(0));
    v.optional("straggler_slowdown", straggler_slowdown, 1.0, "compute time factor of a straggler", at_least(1));
  }
  bool any() const { return !nic_down.empty() || !nvlink_degraded.empty() || !stragglers.empty(); }
};

struct PlatformConfig {
  std::string name;
  std::string description;
  GpuSpec gpu;
  NodeSpec node;
  NicSpec nic;
  FabricSpec fabric;
  ComputeSpec compute;
  CommSmSpec comm_sm;
  EmulationSpec emulation;
  std::optional<FaultSpec> faults;

  template <class V>
  void fields(V& v) {
    v.passthrough("kind");
    v.required("name", name, "preset name");
    v.optional("description", description, std::string(), "where the figures come from");
    v.section("gpu", gpu, "one GPU");
    v.section("node", node, "scale-up domain (NVLink)");
    v.section("nic", nic, "scale-out adapters");
    v.section("fabric", fabric, "scale-out network");
    v.section("compute", compute, "compute kernel efficiencies (calibration)");
    v.section("comm_sm", comm_sm, "SM-driven communication rates per SM (calibration)");
    v.section("emulation", emulation, "how the emulator models this platform");
    v.optional_section("faults", faults, "faults to inject (absent: none)");
  }
  void check(const Checker& c) const;

  // Hosts a fabric of this topology can connect (radix^tiers / 2^(tiers-1) per plane, times planes).
  long long max_endpoints() const;
};

}  // namespace hwlab::config

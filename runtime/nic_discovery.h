// RDMA NICs of this host, read through libibverbs (rdma-core): devices, ports, link state, width,
// speed and rate, for the result's device block. libibverbs is opened at run time (dlopen), so the
// same binary runs on machines without rdma-core and says so instead of failing to start.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwlab::runtime {

struct RdmaPort {
  int port = 0;
  std::string state;       // "active", "down", "init", "armed", "active-defer", "unknown"
  std::string link_layer;  // "infiniband", "ethernet", "unspecified"
  int width_lanes = 0;     // 1, 2, 4, 8, 12
  double lane_Gbps = 0;    // signalling rate of one lane (SDR 2.5 ... NDR 100, XDR 200)
  double rate_Gbps() const { return width_lanes * lane_Gbps; }  // as ibstat prints it
};

struct RdmaDevice {
  std::string name;  // e.g. mlx5_0
  std::vector<RdmaPort> ports;
};

struct NicReport {
  // "ok" (devices found), "no RDMA device" (libibverbs found none), or why it could not look
  // ("libibverbs not found: ...").
  std::string status;
  std::vector<RdmaDevice> devices;
};

// Asks libibverbs. Never throws: every failure is reported in `status`.
NicReport discover_nics();

// ibv_port_attr codes to lanes and per-lane Gb/s (0 for an unknown code).
int ib_width_lanes(int active_width_code);
double ib_lane_Gbps(int active_speed_code);
std::string ib_port_state_name(int state_code);

// {"status": ..., "devices": [{"name": ..., "ports": [{"port": 1, "state": ..., "rate_Gbps": ...}]}]}
nlohmann::json nic_json(const NicReport& report);
// One line for humans: "mlx5_0 port 1 active infiniband 4x 100 Gb/s = 400 Gb/s; ..." or the status.
std::string nic_summary(const NicReport& report);

}  // namespace hwlab::runtime

#include "runtime/nic_discovery.h"

#include <dlfcn.h>
#include <infiniband/verbs.h>

#include <cstring>

#include <fmt/format.h>

namespace hwlab::runtime {

namespace {

// The libibverbs entry points we use, resolved with dlsym.
struct Verbs {
  void* handle = nullptr;
  decltype(&::ibv_get_device_list) get_device_list = nullptr;
  decltype(&::ibv_free_device_list) free_device_list = nullptr;
  decltype(&::ibv_get_device_name) get_device_name = nullptr;
  decltype(&::ibv_open_device) open_device = nullptr;
  decltype(&::ibv_close_device) close_device = nullptr;
  decltype(&::ibv_query_device) query_device = nullptr;
  // The exported ibv_query_port fills the compatible prefix of ibv_port_attr (what we read).
  int (*query_port_compat)(ibv_context*, uint8_t, ibv_port_attr*) = nullptr;

  ~Verbs() {
    if (handle) dlclose(handle);
  }
};

template <class F>
bool resolve(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  return out != nullptr;
}

std::string link_layer_name(uint8_t code) {
  switch (code) {
    case IBV_LINK_LAYER_INFINIBAND: return "infiniband";
    case IBV_LINK_LAYER_ETHERNET: return "ethernet";
    default: return "unspecified";
  }
}

}  // namespace

int ib_width_lanes(int code) {
  switch (code) {
    case 1: return 1;
    case 2: return 4;
    case 4: return 8;
    case 8: return 12;
    case 16: return 2;
    default: return 0;
  }
}

double ib_lane_Gbps(int code) {
  switch (code) {
    case 1: return 2.5;    // SDR
    case 2: return 5.0;    // DDR
    case 4: return 10.0;   // QDR
    case 8: return 10.0;   // FDR10
    case 16: return 14.0;  // FDR
    case 32: return 25.0;  // EDR
    case 64: return 50.0;  // HDR
    case 128: return 100.0;  // NDR
    case 256: return 200.0;  // XDR
    default: return 0.0;
  }
}

std::string ib_port_state_name(int code) {
  switch (code) {
    case IBV_PORT_DOWN: return "down";
    case IBV_PORT_INIT: return "init";
    case IBV_PORT_ARMED: return "armed";
    case IBV_PORT_ACTIVE: return "active";
    case IBV_PORT_ACTIVE_DEFER: return "active-defer";
    default: return "unknown";
  }
}

NicReport discover_nics() {
  NicReport report;
  Verbs v;
  v.handle = dlopen("libibverbs.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!v.handle) {
    const char* why = dlerror();
    report.status = std::string("libibverbs not found: ") + (why ? why : "dlopen failed");
    return report;
  }
  if (!resolve(v.handle, "ibv_get_device_list", v.get_device_list) ||
      !resolve(v.handle, "ibv_free_device_list", v.free_device_list) ||
      !resolve(v.handle, "ibv_get_device_name", v.get_device_name) ||
      !resolve(v.handle, "ibv_open_device", v.open_device) || !resolve(v.handle, "ibv_close_device", v.close_device) ||
      !resolve(v.handle, "ibv_query_device", v.query_device) ||
      !resolve(v.handle, "ibv_query_port", v.query_port_compat)) {
    report.status = "libibverbs lacks an expected entry point";
    return report;
  }
  int count = 0;
  ibv_device** list = v.get_device_list(&count);
  if (!list || count == 0) {
    if (list) v.free_device_list(list);
    report.status = "no RDMA device";
    return report;
  }
  for (int i = 0; i < count; ++i) {
    RdmaDevice dev;
    dev.name = v.get_device_name(list[i]);
    if (ibv_context* ctx = v.open_device(list[i])) {
      ibv_device_attr attr;
      std::memset(&attr, 0, sizeof(attr));
      if (v.query_device(ctx, &attr) == 0) {
        for (int p = 1; p <= attr.phys_port_cnt; ++p) {
          ibv_port_attr pa;
          std::memset(&pa, 0, sizeof(pa));
          if (v.query_port_compat(ctx, static_cast<uint8_t>(p), &pa) != 0) continue;
          RdmaPort port;
          port.port = p;
          port.state = ib_port_state_name(pa.state);
          port.link_layer = link_layer_name(pa.link_layer);
          port.width_lanes = ib_width_lanes(pa.active_width);
          port.lane_Gbps = ib_lane_Gbps(pa.active_speed);
          dev.ports.push_back(port);
        }
      }
      v.close_device(ctx);
    }
    report.devices.push_back(std::move(dev));
  }
  v.free_device_list(list);
  report.status = "ok";
  return report;
}

nlohmann::json nic_json(const NicReport& r) {
  nlohmann::json devices = nlohmann::json::array();
  for (const RdmaDevice& d : r.devices) {
    nlohmann::json ports = nlohmann::json::array();
    for (const RdmaPort& p : d.ports)
      ports.push_back({{"port", p.port}, {"state", p.state}, {"link_layer", p.link_layer},
                       {"width_lanes", p.width_lanes}, {"lane_Gbps", p.lane_Gbps}, {"rate_Gbps", p.rate_Gbps()}});
    devices.push_back({{"name", d.name}, {"ports", ports}});
  }
  return {{"status", r.status}, {"devices", devices}};
}

std::string nic_summary(const NicReport& r) {
  if (r.devices.empty()) return r.status;
  std::string out;
  for (const RdmaDevice& d : r.devices) {
    if (d.ports.empty()) out += fmt::format("{}{} (no port answered)", out.empty() ? "" : "; ", d.name);
    for (const RdmaPort& p : d.ports)
      out += fmt::format("{}{} port {} {} {} {}x {} Gb/s = {} Gb/s", out.empty() ? "" : "; ", d.name, p.port, p.state,
                         p.link_layer, p.width_lanes, p.lane_Gbps, p.rate_Gbps());
  }
  return out;
}

}  // namespace hwlab::runtime

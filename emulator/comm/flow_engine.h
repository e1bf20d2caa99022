// Dispatch and combine on the flow-level network model (platform.emulation.network_model: flow):
// instead of walking the plan window by window through the TLM sockets, a phase's loads go on the
// flow model's resources (flow/flow_phase.h) once every GPU has started it, and the phase ends for
// every GPU at the latest start plus the phase's flow time. Compute, the two streams and their
// overlap stay in SystemC; only the network is replaced.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "emulator/comm/phase_registry.h"
#include "emulator/flow/flow_network.h"

namespace hwlab::emulator {

class FlowEngine {
 public:
  FlowEngine(const FlowNetwork& net, PhaseRegistry& registry);

  // A GPU starts its part of the phase now; returns (in its SC_THREAD) when the phase is over.
  void run(int phase, bool combine);

  // Bytes GPU g put on its NVLink port / NIC over the run, by phase kind.
  uint64_t bytes_sent(int g, bool combine, bool over_ib) const {
    return sent_[combine ? 1 : 0][over_ib ? 1 : 0][static_cast<size_t>(g)];
  }
  // Busy time of every resource over the run (utilisation), and the bottleneck of each phase kind
  // with how often it was the one.
  const FlowBusy& busy() const { return busy_; }
  const std::map<std::string, int>& bottlenecks(bool combine) const { return bottlenecks_[combine ? 1 : 0]; }

 private:
  struct PhaseState {
    int arrived = 0, left = 0;
    sc_core::sc_time latest = sc_core::SC_ZERO_TIME, end = sc_core::SC_ZERO_TIME;
    bool ready = false;
    sc_core::sc_event done;
  };
  void finish(PhaseState& st, int phase, bool combine);

  const FlowNetwork& net_;
  PhaseRegistry& registry_;
  std::map<int, std::unique_ptr<PhaseState>> states_;  // [phase * 2 + combine], while GPUs are in it
  std::array<std::array<std::vector<uint64_t>, 2>, 2> sent_;  // [combine][over_ib][gpu]
  FlowBusy busy_;
  std::array<std::map<std::string, int>, 2> bottlenecks_;
};

}  // namespace hwlab::emulator

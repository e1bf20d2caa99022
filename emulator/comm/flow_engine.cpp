#include "emulator/comm/flow_engine.h"

#include <algorithm>

#include "emulator/core/units.h"
#include "emulator/flow/flow_phase.h"

namespace hwlab::emulator {

FlowEngine::FlowEngine(const FlowNetwork& net, PhaseRegistry& registry) : net_(net), registry_(registry) {
  const auto G = static_cast<size_t>(net.gpus());
  for (auto& by_class : sent_)
    for (auto& v : by_class) v.assign(G, 0);
  for (auto* v : {&busy_.nvlink_tx_us, &busy_.nvlink_rx_us, &busy_.nic_tx_us, &busy_.nic_rx_us}) v->assign(G, 0.0);
  for (auto& v : busy_.role_us) v.assign(G, 0.0);
}

void FlowEngine::finish(PhaseState& st, int phase, bool combine) {
  const FlowLoads loads = phase_flow_loads(net_, registry_.get(phase).plan, combine);
  const FlowEstimate e = loads.evaluate();
  st.end = st.latest + microseconds(e.time_us);
  ++bottlenecks_[combine ? 1 : 0][e.bottleneck.name];
  const int c = combine ? 1 : 0;
  for (int g = 0; g < net_.gpus(); ++g) {
    sent_[static_cast<size_t>(c)][0][static_cast<size_t>(g)] += loads.nvlink_sent(g);
    sent_[static_cast<size_t>(c)][1][static_cast<size_t>(g)] += loads.ib_sent(g);
  }
  const FlowBusy b = loads.busy();
  auto add = [](std::vector<double>& to, const std::vector<double>& from) {
    for (size_t i = 0; i < to.size(); ++i) to[i] += from[i];
  };
  add(busy_.nvlink_tx_us, b.nvlink_tx_us);
  add(busy_.nvlink_rx_us, b.nvlink_rx_us);
  add(busy_.nic_tx_us, b.nic_tx_us);
  add(busy_.nic_rx_us, b.nic_rx_us);
  for (size_t r = 0; r < kFlowRoles; ++r) add(busy_.role_us[r], b.role_us[r]);
}

void FlowEngine::run(int phase, bool combine) {
  const int key = phase * 2 + (combine ? 1 : 0);
  auto& slot = states_[key];
  if (!slot) slot = std::make_unique<PhaseState>();
  PhaseState& st = *slot;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  st.latest = std::max(st.latest, now);
  if (++st.arrived == net_.gpus()) {
    // The last GPU to start: every sender's data is in play from here.
    finish(st, phase, combine);
    st.ready = true;
    st.done.notify(st.end - now);
  }
  while (!st.ready) sc_core::wait(st.done);
  if (sc_core::sc_time_stamp() < st.end) sc_core::wait(st.end - sc_core::sc_time_stamp());
  if (++st.left == net_.gpus()) states_.erase(key);
}

}  // namespace hwlab::emulator

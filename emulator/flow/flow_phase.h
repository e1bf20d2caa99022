// One MoE dispatch or combine on the flow-level network model (flow_network.h): the loads of every
// transfer the packet model's communication engine (comm/comm_engine.h) would make for the phase's
// plan, with the same windows, roles and paths:
//  dispatch: NVLink peer streams and direct IB streams (the receiver's copy-out role), IB streams to
//    forwarders, and each forwarder's NVLink scatter of every window (its forward role; its own copies
//    only through its receive role);
//  combine: the peer streams back (into the owner's reduction), every GPU's sums of forwarded windows
//    to the forwarder over NVLink, the forwarder's reduction of each joined window, and its IB send of
//    the reduced window back to the owner (the owner's reduction).
#pragma once

#include "emulator/comm/comm_plan.h"
#include "emulator/flow/flow_network.h"

namespace hwlab::emulator {

FlowLoads phase_flow_loads(const FlowNetwork& net, const PhasePlan& plan, bool combine);

}  // namespace hwlab::emulator

#include "emulator/flow/flow_phase.h"

#include <algorithm>
#include <vector>

namespace hwlab::emulator {

namespace {

// A stream of `tokens` tokens of `row` bytes cut into the plan's windows.
struct Windows {
  uint64_t bytes, chunks, chunk_bytes;
};
Windows windows(const PhasePlan& p, int tokens, int64_t row) {
  const auto r = static_cast<uint64_t>(row);
  return {static_cast<uint64_t>(tokens) * r, static_cast<uint64_t>(p.windows(tokens)),
          static_cast<uint64_t>(std::min(tokens, p.window_tokens)) * r};
}

// The peer streams (NVLink in a node, direct IB): dispatch from source to destination into its
// copy-out role, combine the sums back into the source's reduction.
void peer_loads(FlowLoads& l, const PhasePlan& p, bool combine) {
  const int64_t row = combine ? p.combine_bytes_per_token : p.dispatch_bytes_per_token;
  const FlowRole at_dst = combine ? FlowRole::reduce : FlowRole::receive;
  for (bool ib : {false, true})
    for (const PeerStream& s : ib ? p.direct_streams : p.nvlink_streams) {
      const Windows w = windows(p, s.tokens, row);
      l.transfer(combine ? s.dst : s.src, combine ? s.src : s.dst, w.bytes, w.chunks, w.chunk_bytes,
                 ib ? FlowRole::send_ib : FlowRole::send_nvlink, at_dst, ib ? FlowPath::ib : FlowPath::nvlink, true);
    }
}

void dispatch_loads(FlowLoads& l, const PhasePlan& p) {
  const int64_t D = p.dispatch_bytes_per_token;
  peer_loads(l, p, false);
  for (const NodeStream& s : p.node_streams) {
    const Windows w = windows(p, s.tokens(), D);
    l.transfer(s.src, s.forwarder, w.bytes, w.chunks, w.chunk_bytes, FlowRole::send_ib, std::nullopt,
               FlowPath::forwarded, true);
  }
  // Each forwarder sends every window on to the node's GPUs that need its tokens
  // (CommEngine::forward_window): what each GPU gets of a window is its combine contribution to it.
  for (int g = 0; g < p.gpus; ++g)
    for (const Contribution& c : p.contributions[static_cast<size_t>(g)]) {
      const int forwarder = p.node_streams[static_cast<size_t>(c.stream)].forwarder;
      const uint64_t bytes = static_cast<uint64_t>(c.tokens) * static_cast<uint64_t>(D);
      if (g == forwarder) l.work(g, FlowRole::receive, bytes, 1, bytes, FlowPath::forwarded);
      else l.transfer(forwarder, g, bytes, 1, bytes, FlowRole::forward, FlowRole::receive, FlowPath::forwarded, false);
    }
}

void combine_loads(FlowLoads& l, const PhasePlan& p) {
  const int64_t C = p.combine_bytes_per_token;
  peer_loads(l, p, true);
  // Rounds of each GPU's send loop (CommEngine::combine): one window per stream and contribution.
  for (int g = 0; g < p.gpus; ++g) {
    int rounds = 0;
    for (int i : p.nvlink_in[static_cast<size_t>(g)]) rounds = std::max(rounds, p.windows(p.nvlink_streams[static_cast<size_t>(i)].tokens));
    for (int i : p.direct_in[static_cast<size_t>(g)]) rounds = std::max(rounds, p.windows(p.direct_streams[static_cast<size_t>(i)].tokens));
    for (const Contribution& c : p.contributions[static_cast<size_t>(g)]) rounds = std::max(rounds, c.window + 1);
    l.set_rounds(g, rounds);
  }
  // Forwarded windows: every contributor's sums meet at the forwarder (CommEngine::contribute), which
  // reduces the window once all are in and sends it back over IB (CommEngine::on_arrival).
  std::vector<uint64_t> joined(p.window_contributors.size(), 0);
  for (int g = 0; g < p.gpus; ++g)
    for (const Contribution& c : p.contributions[static_cast<size_t>(g)]) {
      const NodeStream& s = p.node_streams[static_cast<size_t>(c.stream)];
      const uint64_t bytes = static_cast<uint64_t>(c.tokens) * static_cast<uint64_t>(C);
      joined[static_cast<size_t>(p.window_base[static_cast<size_t>(c.stream)] + c.window)] += bytes;
      if (g != s.forwarder)
        l.transfer(g, s.forwarder, bytes, 1, bytes, FlowRole::send_nvlink, std::nullopt, FlowPath::joined, true);
    }
  for (size_t si = 0; si < p.node_streams.size(); ++si) {
    const NodeStream& s = p.node_streams[si];
    for (int win = 0; win < p.windows(s.tokens()); ++win) {
      const uint64_t in = joined[static_cast<size_t>(p.window_base[si] + win)];
      if (in == 0) continue;
      l.work(s.forwarder, FlowRole::reduce, in, 1, in, FlowPath::joined);
      const uint64_t back = static_cast<uint64_t>(p.window_size(s.tokens(), win)) * static_cast<uint64_t>(C);
      l.transfer(s.forwarder, s.src, back, 1, back, FlowRole::send_ib, FlowRole::reduce, FlowPath::joined, false);
    }
  }
}

}  // namespace

FlowLoads phase_flow_loads(const FlowNetwork& net, const PhasePlan& plan, bool combine) {
  FlowLoads l(net);
  if (combine) combine_loads(l, plan);
  else dispatch_loads(l, plan);
  return l;
}

}  // namespace hwlab::emulator

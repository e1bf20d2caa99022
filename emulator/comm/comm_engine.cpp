#include "emulator/comm/comm_engine.h"

#include <algorithm>
#include <vector>

#include "emulator/comm/program_engine.h"

namespace hwlab::emulator {

CommEngine::CommEngine(GpuPorts& ports, IssueModel& issue, PhaseRegistry& registry)
    : ports_(ports), issue_(issue), registry_(registry) {}

namespace {

// Stream indices ordered by how far their peer is after `me` (cyclically), so that every source
// starts with a different destination, as channelised kernels stagger their peers; in plain index
// order all sources would hit the same receivers in waves.
template <class PeerOf>
std::vector<int> staggered(const std::vector<int>& streams, int me, int count, PeerOf peer_of) {
  std::vector<int> order = streams;
  // Plans list a GPU's streams by ascending peer: then the order is a rotation (same result as the
  // sort below, in linear time).
  bool ascending = true;
  for (size_t i = 1; ascending && i < order.size(); ++i) ascending = peer_of(order[i - 1]) < peer_of(order[i]);
  if (ascending) {
    const auto first_after = std::partition_point(order.begin(), order.end(), [&](int s) { return peer_of(s) < me; });
    std::rotate(order.begin(), first_after, order.end());
    return order;
  }
  auto distance = [&](int stream) { return (peer_of(stream) - me + count) % count; };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return distance(a) < distance(b); });
  return order;
}

}  // namespace

ReduceWork combine_reduction(const PhasePlan& p, uint64_t bytes, int outputs, uint64_t addends, bool accumulate) {
  ReduceWork w;
  w.bytes = bytes;
  w.outputs = static_cast<uint64_t>(outputs);
  w.cols_per_row = static_cast<uint64_t>(p.combine_bytes_per_token) / 2;  // BF16 elements of a token
  w.addends = addends;
  w.accumulate = accumulate;
  return w;
}

NodeSums node_sums(const PhasePlan& p, TransferKind kind, int phase, int forwarder, int stream, int window,
                   uint64_t contributed_bytes) {
  const NodeStream& s = p.node_streams[static_cast<size_t>(stream)];
  const auto C = static_cast<uint64_t>(p.combine_bytes_per_token);
  NodeSums n;
  n.back.kind = kind;
  n.back.phase = phase;
  n.back.src = forwarder;
  n.back.dst = s.src;
  n.back.stream = stream;
  n.back.window = window;
  n.back.tokens = p.window_size(s.tokens(), window);
  n.back.bytes = static_cast<uint64_t>(n.back.tokens) * C;
  const auto outputs = static_cast<uint64_t>(std::max(1, n.back.tokens));
  const uint64_t addends = std::max<uint64_t>(1, (contributed_bytes / C + outputs - 1) / outputs);
  n.work = combine_reduction(p, contributed_bytes, n.back.tokens, addends, false);
  return n;
}

sc_time CommEngine::send(Transfer t, CommRole role, bool over_ib, const sc_time& ready, bool from_queue) {
  // A window is a descriptor of its own; the DMAs of a program's table walker are not (program_).
  const auto grant =
      issue_.send(role, t.bytes, from_queue && !program_ ? issue_.before_issue(t, ready) : ready, from_queue);
  t.not_before = grant.done;
  t.over_ib = over_ib;
  const sc_time arrived = over_ib ? ports_.send_ib(t, grant.start) : ports_.send_nvlink(t, grant.start);
  if (from_queue) issue_.completed(arrived);
  if (program_) note_landed(t, arrived);
  return grant.start;
}

sc_time CommEngine::send_request(Transfer t, CommRole role, bool over_ib, uint64_t data_bytes, const sc_time& ready) {
  const auto grant = issue_.send(role, data_bytes, ready, true);
  t.not_before = grant.start;  // the request itself is one small message
  t.answer_not_before = grant.done;
  t.over_ib = over_ib;
  // The holder answers within this call chain and reports the answer's last byte here.
  const sc_time answered = over_ib ? ports_.send_ib(t, grant.start) : ports_.send_nvlink(t, grant.start);
  issue_.completed(answered);
  return grant.start;
}

void CommEngine::note_landed(const Transfer& t, const sc_time& arrived) {
  PhaseRuntime& rt = registry_.get(t.phase);
  if (!rt.program) return;
  ProgramPhase& pp = *rt.program;
  auto later = [&](std::vector<sc_time>& v, int gpu) {
    sc_time& x = v[static_cast<size_t>(gpu)];
    x = std::max(x, arrived);
  };
  switch (t.kind) {
    case TransferKind::dispatch_peer:
    case TransferKind::dispatch_to_forwarder: later(pp.dispatch_landed, t.src); break;
    case TransferKind::dispatch_forwarded:
      later(pp.dispatch_landed, rt.plan.node_streams[static_cast<size_t>(t.stream)].src);
      break;
    case TransferKind::combine_gathered: later(pp.forward_landed, t.src); break;
    default: break;
  }
}

void CommEngine::answer(Transfer& request, const sc_time& done) {
  const PhasePlan& p = registry_.get(request.phase).plan;
  Transfer a;
  a.kind = TransferKind::pull_data;
  a.phase = request.phase;
  a.src = ports_.gpu_id();
  a.dst = request.src;
  a.stream = request.stream;
  a.window = request.window;
  a.stage = request.stage;
  a.tokens = request.tokens;
  a.bytes = static_cast<uint64_t>(request.tokens) * static_cast<uint64_t>(p.combine_bytes_per_token);
  a.over_ib = a.src / p.gpus_per_node != a.dst / p.gpus_per_node;  // (a relayed request lost its flag)
  a.not_before = std::max(done, request.answer_not_before);
  // Read by the holder's NVLink port or NIC from its memory: no engine of the holder takes part.
  request.not_before = a.over_ib ? ports_.send_ib(a, done) : ports_.send_nvlink(a, done);
}

sc_time CommEngine::dispatch(int phase, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  const PhasePlan& p = rt.plan;
  const int me = ports_.gpu_id();
  const auto D = static_cast<uint64_t>(p.dispatch_bytes_per_token);
  const int node_count = (p.gpus + p.gpus_per_node - 1) / p.gpus_per_node, my_node = me / p.gpus_per_node;
  const auto nvl = staggered(p.nvlink_out[static_cast<size_t>(me)], me, p.gpus,
                             [&](int i) { return p.nvlink_streams[static_cast<size_t>(i)].dst; });
  const auto direct = staggered(p.direct_out[static_cast<size_t>(me)], me, p.gpus,
                                [&](int i) { return p.direct_streams[static_cast<size_t>(i)].dst; });
  const auto nodes = staggered(p.node_out[static_cast<size_t>(me)], my_node, node_count,
                               [&](int i) { return p.node_streams[static_cast<size_t>(i)].node; });
  int max_windows = 0;
  for (int i : nvl) max_windows = std::max(max_windows, p.windows(p.nvlink_streams[static_cast<size_t>(i)].tokens));
  for (int i : direct) max_windows = std::max(max_windows, p.windows(p.direct_streams[static_cast<size_t>(i)].tokens));
  for (int i : nodes) max_windows = std::max(max_windows, p.windows(p.node_streams[static_cast<size_t>(i)].tokens()));

  sc_time local = start;
  for (int w = 0; w < max_windows; ++w) {
    auto peer = [&](const PeerStream& s, int index, bool over_ib) {
      if (w >= p.windows(s.tokens)) return;
      Transfer t;
      t.kind = TransferKind::dispatch_peer;
      t.phase = phase;
      t.src = me;
      t.dst = s.dst;
      t.stream = index;
      t.window = w;
      t.tokens = p.window_size(s.tokens, w);
      t.bytes = static_cast<uint64_t>(t.tokens) * D;
      local = std::max(local, send(t, over_ib ? CommRole::ib_send : CommRole::nvlink_send, over_ib, local, true));
    };
    for (int i : nvl) peer(p.nvlink_streams[static_cast<size_t>(i)], i, false);
    for (int i : direct) peer(p.direct_streams[static_cast<size_t>(i)], i, true);
    for (int i : nodes) {
      const NodeStream& s = p.node_streams[static_cast<size_t>(i)];
      if (w >= p.windows(s.tokens())) continue;
      Transfer t;
      t.kind = TransferKind::dispatch_to_forwarder;
      t.phase = phase;
      t.src = me;
      t.dst = s.forwarder;
      t.stream = i;
      t.window = w;
      t.tokens = p.window_size(s.tokens(), w);
      t.bytes = static_cast<uint64_t>(t.tokens) * D;
      local = std::max(local, send(t, CommRole::ib_send, true, local, true));
    }
    ports_.advance(local);
  }
  return local;
}

void CommEngine::forward_window(const Transfer& arrived, const sc_time& done) {
  PhaseRuntime& rt = registry_.get(arrived.phase);
  const PhasePlan& p = rt.plan;
  const NodeStream& s = p.node_streams[static_cast<size_t>(arrived.stream)];
  const int me = ports_.gpu_id(), per_node = p.gpus_per_node;
  int counts[16] = {};
  const int first = arrived.window * p.window_tokens;
  for (int t = first; t < first + arrived.tokens; ++t)
    for (int j = 0; j < per_node; ++j)
      if (s.masks[static_cast<size_t>(t)] & (1u << j)) ++counts[j];
  const auto D = static_cast<uint64_t>(p.dispatch_bytes_per_token);
  for (int j = 0; j < per_node; ++j) {
    if (counts[j] == 0) continue;
    const int dst = s.node * per_node + j;
    if (dst == me) {
      ports_.record(arrived.phase, false, counts[j],
                    issue_.process(CommRole::receive, static_cast<uint64_t>(counts[j]) * D, done));
      continue;
    }
    Transfer t;
    t.kind = TransferKind::dispatch_forwarded;
    t.phase = arrived.phase;
    t.src = me;
    t.dst = dst;
    t.stream = arrived.stream;
    t.window = arrived.window;
    t.tokens = counts[j];
    t.bytes = static_cast<uint64_t>(counts[j]) * D;
    send(t, CommRole::forward, false, done, false);
  }
}

sc_time CommEngine::combine(int phase, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  const PhasePlan& p = rt.plan;
  const int me = ports_.gpu_id();
  const auto C = static_cast<uint64_t>(p.combine_bytes_per_token);
  const auto nvl = staggered(p.nvlink_in[static_cast<size_t>(me)], me, p.gpus,
                             [&](int i) { return p.nvlink_streams[static_cast<size_t>(i)].src; });
  const auto direct = staggered(p.direct_in[static_cast<size_t>(me)], me, p.gpus,
                                [&](int i) { return p.direct_streams[static_cast<size_t>(i)].src; });
  const auto& contributions = p.contributions[static_cast<size_t>(me)];
  int max_windows = 0;
  for (int i : nvl) max_windows = std::max(max_windows, p.windows(p.nvlink_streams[static_cast<size_t>(i)].tokens));
  for (int i : direct) max_windows = std::max(max_windows, p.windows(p.direct_streams[static_cast<size_t>(i)].tokens));
  for (const auto& c : contributions) max_windows = std::max(max_windows, c.window + 1);

  sc_time local = start;
  size_t next_contribution = 0;  // contributions are listed by stream, then window
  std::vector<const Contribution*> by_window;
  for (const auto& c : contributions) by_window.push_back(&c);
  // By window; within a window staggered by the source the sums go back to.
  auto source_distance = [&](const Contribution* c) {
    return (p.node_streams[static_cast<size_t>(c->stream)].src - me + p.gpus) % p.gpus;
  };
  std::stable_sort(by_window.begin(), by_window.end(), [&](const Contribution* a, const Contribution* b) {
    return a->window != b->window ? a->window < b->window : source_distance(a) < source_distance(b);
  });
  for (int w = 0; w < max_windows; ++w) {
    auto peer = [&](const PeerStream& s, int index, bool over_ib) {
      if (w >= p.windows(s.tokens)) return;
      Transfer t;
      t.kind = TransferKind::combine_peer;
      t.phase = phase;
      t.src = me;
      t.dst = s.src;
      t.stream = index;
      t.window = w;
      t.tokens = p.window_size(s.tokens, w);
      t.bytes = static_cast<uint64_t>(t.tokens) * C;
      local = std::max(local, send(t, over_ib ? CommRole::ib_send : CommRole::nvlink_send, over_ib, local, true));
    };
    for (int i : nvl) peer(p.nvlink_streams[static_cast<size_t>(i)], i, false);
    for (int i : direct) peer(p.direct_streams[static_cast<size_t>(i)], i, true);
    for (; next_contribution < by_window.size() && by_window[next_contribution]->window == w; ++next_contribution) {
      contribute(phase, *by_window[next_contribution], local);
    }
    ports_.advance(local);
  }
  return local;
}

void CommEngine::contribute(int phase, const Contribution& c, const sc_time& ready) {
  PhaseRuntime& rt = registry_.get(phase);
  const PhasePlan& p = rt.plan;
  const NodeStream& s = p.node_streams[static_cast<size_t>(c.stream)];
  const int me = ports_.gpu_id();
  Transfer t;
  t.kind = TransferKind::combine_to_forwarder;
  t.phase = phase;
  t.src = me;
  t.dst = s.forwarder;
  t.stream = c.stream;
  t.window = c.window;
  t.tokens = c.tokens;
  t.bytes = static_cast<uint64_t>(c.tokens) * static_cast<uint64_t>(p.combine_bytes_per_token);
  if (s.forwarder == me) {
    on_arrival(t, ready);  // the forwarder's own sums join without a link
    return;
  }
  send(t, CommRole::nvlink_send, false, ready, true);
}

void CommEngine::on_arrival(Transfer& t, const sc_time& done) {
  switch (t.kind) {
    case TransferKind::dispatch_peer:
    case TransferKind::dispatch_forwarded:
      ports_.record(t.phase, false, t.tokens, issue_.process(CommRole::receive, t.bytes, done));
      return;
    case TransferKind::dispatch_to_forwarder:
      forward_window(t, done);
      return;
    case TransferKind::combine_peer:
    case TransferKind::combine_reduced: {
      // Summed into the receiver's FP32 accumulator.
      const int phase = t.phase, tokens = t.tokens;
      issue_.reduce(combine_reduction(registry_.get(phase).plan, t.bytes, tokens, 1, true), done,
                    [this, phase, tokens](const sc_time& summed) { ports_.record(phase, true, tokens, summed); });
      return;
    }
    case TransferKind::combine_to_forwarder: break;
    case TransferKind::pull_request: answer(t, done); return;
    case TransferKind::pull_data:
    case TransferKind::combine_gathered: program_->on_arrival(t, done); return;
  }
  // A node's sums of one window meet at the forwarder; the last one to arrive reduces them and sends
  // the window back to its source over IB.
  PhaseRuntime& rt = registry_.get(t.phase);
  const PhasePlan& p = rt.plan;
  const size_t join_index = static_cast<size_t>(p.window_base[static_cast<size_t>(t.stream)] + t.window);
  WindowJoin& join = rt.joins[join_index];
  if (join.remaining < 0) join.remaining = static_cast<int>(p.window_contributors[join_index].size());
  join.last = std::max(join.last, done);
  join.bytes += t.bytes;
  if (--join.remaining > 0) return;
  const NodeSums n = node_sums(p, TransferKind::combine_reduced, t.phase, ports_.gpu_id(), t.stream, t.window, join.bytes);
  issue_.reduce(n.work, join.last,
                [this, back = n.back](const sc_time& reduced) { send(back, CommRole::ib_send, true, reduced, false); });
}

}  // namespace hwlab::emulator

#include "emulator/comm/program_engine.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace hwlab::emulator {

using isa::EntryKind;
using isa::RoutingEntry;

ProgramEngine::ProgramEngine(GpuPorts& ports, IssueModel& issue, PhaseRegistry& registry, CommEngine& comm,
                             SignalLatency latency)
    : ports_(ports), issue_(issue), registry_(registry), comm_(comm), latency_(std::move(latency)) {}

namespace {

// Open batches of a table walk, one per key, flushed in the order they were opened.
struct Batches {
  struct Batch {
    int tokens = 0, window = 0;
    int64_t opened = -1;  // sequence number while open
    std::vector<uint16_t> masks;
  };
  std::vector<Batch> by_key;
  int64_t next = 0;
  explicit Batches(size_t keys) : by_key(keys) {}
  Batch& add(int key) {
    Batch& b = by_key[static_cast<size_t>(key)];
    if (b.tokens == 0) b.opened = next++;
    ++b.tokens;
    return b;
  }
  // Keys of the batches still open, oldest first.
  std::vector<int> open_keys() const {
    std::vector<int> keys;
    for (size_t k = 0; k < by_key.size(); ++k)
      if (by_key[k].tokens > 0) keys.push_back(static_cast<int>(k));
    std::sort(keys.begin(), keys.end(), [&](int a, int b) {
      return by_key[static_cast<size_t>(a)].opened < by_key[static_cast<size_t>(b)].opened;
    });
    return keys;
  }
};

// The plan's stream from `src` to node `node` (forwarded), -1 if none.
int node_stream(const PhasePlan& p, int src, int node) {
  for (int i : p.node_out[static_cast<size_t>(src)])
    if (p.node_streams[static_cast<size_t>(i)].node == node) return i;
  return -1;
}

}  // namespace

void ProgramEngine::record_mismatch(ProgramPhase& pp, const std::string& what) {
  if (pp.plan_mismatches++ == 0) pp.first_mismatch = what;
}

sc_time ProgramEngine::wait_outputs(ProgramPhase& pp, int holder, const sc_time& local) {
  const auto h = static_cast<size_t>(holder);
  if (!pp.outputs_ready[h]) {
    ports_.sync_to(local);
    while (!pp.outputs_ready[h]) sc_core::wait(pp.outputs_event);
  }
  return std::max({local, sc_core::sc_time_stamp(), pp.outputs_ready_at[h]});
}

void ProgramEngine::signal(SignalBarrier& b, const sc_time& release) {
  const auto me = static_cast<size_t>(ports_.gpu_id());
  b.release[me] = release;
  b.released[me] = 1;
  if (++b.count == static_cast<int>(b.release.size())) b.all_released.notify(sc_core::SC_ZERO_TIME);
}

sc_time ProgramEngine::wait_signals(SignalBarrier& b, int expected, const sc_time& local, int counter) {
  const int gpus = static_cast<int>(b.release.size());
  if (expected != gpus)
    throw std::logic_error(fmt::format("a WAIT for {} signals in a group of {} GPUs", expected, gpus));
  if (b.count < gpus) {
    ports_.sync_to(local);
    while (b.count < gpus) sc_core::wait(b.all_released);
  }
  sc_time t = std::max(local, sc_core::sc_time_stamp());
  const int me = ports_.gpu_id();
  for (int s = 0; s < gpus; ++s) t = std::max(t, b.release[static_cast<size_t>(s)] + latency_(s, me));
  const sc_time own = std::max(local, b.release[static_cast<size_t>(me)]);
  if (t > own) waited_[counter] += t - own;
  return t;
}

sc_time ProgramEngine::dispatch(int phase, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  ProgramPhase& pp = *rt.program;
  const PhasePlan& p = rt.plan;
  const int me = ports_.gpu_id(), G = p.gpus, P = p.gpus_per_node, my_node = me / P;
  const ProgramDescriptor& d = pp.programs[static_cast<size_t>(me)].dispatch;
  const uint64_t D = d.insn.u("bytes");
  if (D != static_cast<uint64_t>(p.dispatch_bytes_per_token))
    record_mismatch(pp, fmt::format("GPU {}: DISPATCH bytes {} per row, the plan {}", me, D, p.dispatch_bytes_per_token));

  // The plan's streams of this source, to check each batch against its window.
  std::vector<int> peer_stream(static_cast<size_t>(G), -1);
  for (int i : p.nvlink_out[static_cast<size_t>(me)]) peer_stream[static_cast<size_t>(p.nvlink_streams[static_cast<size_t>(i)].dst)] = i;
  for (int i : p.direct_out[static_cast<size_t>(me)]) peer_stream[static_cast<size_t>(p.direct_streams[static_cast<size_t>(i)].dst)] = i;

  // Keys: a destination GPU g (direct copies), or G + forwarder f (a remote node's stream).
  Batches batches(2 * static_cast<size_t>(G));
  sc_time local = issue_.before_descriptor(d.insn, start);
  auto issue = [&](int key) {
    Batches::Batch& b = batches.by_key[static_cast<size_t>(key)];
    Transfer t;
    t.phase = phase;
    t.src = me;
    t.window = b.window++;
    t.tokens = b.tokens;
    t.bytes = static_cast<uint64_t>(b.tokens) * D;
    const bool forwarded = key >= G;
    t.dst = forwarded ? key - G : key;
    const bool over_ib = forwarded || t.dst / P != my_node;
    if (forwarded) {
      t.kind = TransferKind::dispatch_to_forwarder;
      t.stream = node_stream(p, me, t.dst / P);
      const NodeStream* s = t.stream < 0 ? nullptr : &p.node_streams[static_cast<size_t>(t.stream)];
      const int first = t.window * p.window_tokens;
      if (!s || s->forwarder != t.dst || p.window_size(s->tokens(), t.window) != t.tokens ||
          !std::equal(b.masks.begin(), b.masks.end(), s->masks.begin() + first))
        record_mismatch(pp, fmt::format("GPU {}: forwarded batch {} to GPU {} ({} tokens) is not the plan's window",
                                        me, t.window, t.dst, t.tokens));
      if (!s) t.stream = 0;  // counted; forwarded as the plan's first stream would not be right either
    } else {
      t.kind = TransferKind::dispatch_peer;
      t.stream = peer_stream[static_cast<size_t>(t.dst)];
      const int tokens = t.stream < 0 ? 0
                         : over_ib   ? p.direct_streams[static_cast<size_t>(t.stream)].tokens
                                     : p.nvlink_streams[static_cast<size_t>(t.stream)].tokens;
      if (t.stream < 0 || p.window_size(tokens, t.window) != t.tokens)
        record_mismatch(pp, fmt::format("GPU {}: batch {} to GPU {} ({} tokens) is not the plan's window", me,
                                        t.window, t.dst, t.tokens));
    }
    b.tokens = 0;
    b.masks.clear();
    const CommRole role = over_ib ? CommRole::ib_send : CommRole::nvlink_send;
    local = std::max(local, comm_.send(t, role, over_ib, local, true));
    ports_.advance(local);
  };

  for (const RoutingEntry& e : d.entries) {
    if (e.kind == EntryKind::multicast) {
      for (int j = 0; j < P; ++j) {
        const int dst = e.node * P + j;
        if (!(e.mask & (1u << j)) || dst == me) continue;  // its own copy stays local
        if (batches.add(dst).tokens == p.window_tokens) issue(dst);
      }
    } else if (e.kind == EntryKind::forward) {
      const int key = G + e.node * P + e.gpu;
      Batches::Batch& b = batches.add(key);
      b.masks.push_back(e.mask);
      if (b.tokens == p.window_tokens) issue(key);
    } else {
      throw std::logic_error(fmt::format("GPU {}: DISPATCH entry of kind {}", me, isa::entry_kind_name(e.kind)));
    }
  }
  for (int key : batches.open_keys()) issue(key);
  // SIGNAL (release): after every byte of this DISPATCH, forwarded copies included, has landed.
  signal(pp.dispatch_done, std::max(local, pp.dispatch_landed[static_cast<size_t>(me)]));
  return local;
}

sc_time ProgramEngine::wait_dispatch(int phase, const sc_time& local) {
  ProgramPhase& pp = *registry_.get(phase).program;
  const GpuProgram& gp = pp.programs[static_cast<size_t>(ports_.gpu_id())];
  return wait_signals(pp.dispatch_done, static_cast<int>(gp.dispatch_wait_insn.u("value")),
                      issue_.before_descriptor(gp.dispatch_wait_insn, local), 0);
}

sc_time ProgramEngine::pull(int phase, int holder, int rows, int stage, int stream, int window, const sc_time& ready) {
  const PhasePlan& p = registry_.get(phase).plan;
  const int me = ports_.gpu_id();
  Transfer t;
  t.kind = TransferKind::pull_request;
  t.phase = phase;
  t.src = me;
  t.dst = holder;
  t.stream = stream;
  t.window = window;
  t.stage = stage;
  t.tokens = rows;
  t.bytes = kReadRequestBytes;
  const bool over_ib = holder / p.gpus_per_node != me / p.gpus_per_node;
  // The requester's DMA engine moves the rows; the request leaves when it is granted one.
  const uint64_t data = static_cast<uint64_t>(rows) * static_cast<uint64_t>(p.combine_bytes_per_token);
  return comm_.send_request(t, over_ib ? CommRole::ib_send : CommRole::nvlink_send, over_ib, data, ready);
}

sc_time ProgramEngine::forward_stage(int phase, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  ProgramPhase& pp = *rt.program;
  const PhasePlan& p = rt.plan;
  const int me = ports_.gpu_id(), P = p.gpus_per_node, my_node = me / P, my_local = me % P;
  const auto C = static_cast<uint64_t>(p.combine_bytes_per_token);
  const ProgramDescriptor& c = pp.programs[static_cast<size_t>(me)].combine_forward;
  sc_time local = issue_.before_descriptor(c.insn, start);
  std::vector<int> window_of_owner(static_cast<size_t>(p.gpus), 0);
  Batches by_holder(static_cast<size_t>(p.gpus));
  std::vector<std::vector<ReadPart>> gathering(static_cast<size_t>(p.gpus));  // [holder] rows of windows
  auto read = [&](int holder) {
    Batches::Batch& b = by_holder.by_key[static_cast<size_t>(holder)];
    reads_.push_back(std::move(gathering[static_cast<size_t>(holder)]));
    gathering[static_cast<size_t>(holder)].clear();
    local = wait_outputs(pp, holder, local);
    local = std::max(local, pull(phase, holder, b.tokens, 0, -1, static_cast<int>(reads_.size()) - 1, local));
    b.tokens = 0;
  };
  const auto& entries = c.entries;
  for (size_t i = 0; i < entries.size();) {
    // A batch: up to window_tokens consecutive entries of one owner.
    const int owner = entries[i].node * P + entries[i].gpu;
    size_t end = i;
    while (end < entries.size() && end - i < static_cast<size_t>(p.window_tokens) &&
           entries[end].node * P + entries[end].gpu == owner)
      ++end;
    const int tokens = static_cast<int>(end - i);
    int rows[16] = {};
    uint16_t holders = 0;
    for (size_t k = i; k < end; ++k) {
      if (entries[k].kind != EntryKind::reduce_forward)
        throw std::logic_error(fmt::format("GPU {}: forward-stage entry of kind {}", me, isa::entry_kind_name(entries[k].kind)));
      holders = static_cast<uint16_t>(holders | entries[k].mask);
      for (int j = 0; j < P; ++j) rows[j] += (entries[k].mask >> j) & 1;
    }
    const int window = window_of_owner[static_cast<size_t>(owner)]++;
    const int stream = node_stream(p, owner, my_node);
    std::vector<int> expected;
    if (stream >= 0 && p.node_streams[static_cast<size_t>(stream)].forwarder == me &&
        window < p.windows(p.node_streams[static_cast<size_t>(stream)].tokens()) &&
        p.window_size(p.node_streams[static_cast<size_t>(stream)].tokens(), window) == tokens) {
      const size_t join = static_cast<size_t>(p.window_base[static_cast<size_t>(stream)] + window);
      expected = p.window_contributors[join];
      std::sort(expected.begin(), expected.end());
    }
    std::vector<int> from;
    for (int j = 0; j < P; ++j)
      if (holders & (1u << j)) from.push_back(my_node * P + j);
    if (expected.empty() || expected != from) {
      record_mismatch(pp, fmt::format("GPU {}: forward-stage batch {} of GPU {}'s tokens ({} tokens) is not the "
                                      "plan's window", me, window, owner, tokens));
      i = end;
      continue;  // no plan window to join on: counted, and the sums stay missing (the owner's count shows it)
    }
    WindowJoin& join = rt.joins[static_cast<size_t>(p.window_base[static_cast<size_t>(stream)] + window)];
    join.remaining = 0;  // rows still to be read from node peers
    join.bytes = 0;
    join.last = local;
    for (int j = 0; j < P; ++j) {
      join.bytes += static_cast<uint64_t>(rows[j]) * C;
      if (j != my_local) join.remaining += rows[j];
    }
    if (join.remaining == 0) finish_join(phase, stream, window);  // only its own outputs
    for (int j = 0; j < P; ++j) {
      if (rows[j] == 0 || j == my_local) continue;
      // The walker gathers the rows it needs from each holder, over windows, into reads of about
      // window_tokens rows.
      const int holder = my_node * P + j;
      Batches::Batch& b = by_holder.add(holder);
      b.tokens += rows[j] - 1;  // add() counted one
      gathering[static_cast<size_t>(holder)].push_back({stream, window, rows[j]});
      if (b.tokens >= p.window_tokens) read(holder);
    }
    ports_.advance(local);
    i = end;
  }
  for (int holder : by_holder.open_keys()) read(holder);
  reads_.clear();
  cs_.forward_walked = true;
  cs_.forward_local = local;
  forward_progress();
  return local;
}

void ProgramEngine::forward_progress() {
  if (!cs_.forward_walked || cs_.forward_pending > 0 || cs_.forward_signalled) return;
  cs_.forward_signalled = true;
  // SIGNAL (release): once every node sum it wrote has landed.
  ProgramPhase& pp = *registry_.get(cs_.phase).program;
  signal(pp.combine_forwarded, std::max(cs_.forward_local, pp.forward_landed[static_cast<size_t>(ports_.gpu_id())]));
}

void ProgramEngine::finish_join(int phase, int stream, int window) {
  PhaseRuntime& rt = registry_.get(phase);
  const WindowJoin& join = rt.joins[static_cast<size_t>(rt.plan.window_base[static_cast<size_t>(stream)] + window)];
  // REDUCE of the node's rows to BF16, then the WRITE into the owner's gather rows (one IB crossing).
  const NodeSums n = node_sums(rt.plan, TransferKind::combine_gathered, phase, ports_.gpu_id(), stream, window, join.bytes);
  ++cs_.forward_pending;
  issue_.reduce(n.work, join.last, [this, back = n.back](const sc_time& reduced) {
    comm_.send(back, CommRole::ib_send, true, reduced, false);
    --cs_.forward_pending;
    forward_progress();
  });
}

sc_time ProgramEngine::final_stage(int phase, const ProgramDescriptor& c, int k, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  ProgramPhase& pp = *rt.program;
  const PhasePlan& p = rt.plan;
  const int me = ports_.gpu_id(), G = p.gpus, P = p.gpus_per_node;
  const auto C = static_cast<uint64_t>(p.combine_bytes_per_token);
  FinalDescriptor& fd = cs_.finals[k];
  sc_time local = issue_.before_descriptor(c.insn, start);
  // Rows already on this GPU: its own expert outputs and the gathered node sums (partial).
  int64_t own_rows = 0, gathered_rows = 0;
  Batches pulls(static_cast<size_t>(G));
  auto issue = [&](int holder) {
    Batches::Batch& b = pulls.by_key[static_cast<size_t>(holder)];
    local = wait_outputs(pp, holder, local);
    local = std::max(local, pull(phase, holder, b.tokens, 1, k, b.window++, local));
    b.tokens = 0;
    ports_.advance(local);
  };
  for (const RoutingEntry& e : c.entries) {
    fd.outputs += (e.flags & isa::kEntryLast) ? 1 : 0;
    if (e.kind == EntryKind::partial) {
      ++gathered_rows;
      continue;
    }
    if (e.kind != EntryKind::pull)
      throw std::logic_error(fmt::format("GPU {}: final-stage entry of kind {}", me, isa::entry_kind_name(e.kind)));
    for (int j = 0; j < P; ++j) {
      if (!(e.mask & (1u << j))) continue;
      const int holder = e.node * P + j;
      if (holder == me) {
        ++own_rows;
        continue;
      }
      if (pulls.add(holder).tokens == p.window_tokens) issue(holder);
    }
  }
  for (int holder : pulls.open_keys()) issue(holder);
  // The local rows go through the reduce unit too; the gathered ones are sums received from forwarders.
  const uint64_t local_bytes = static_cast<uint64_t>(own_rows + gathered_rows) * C;
  if (local_bytes > 0) {
    ++fd.pending;
    const int64_t rows = gathered_rows;
    issue_.reduce(combine_reduction(p, local_bytes, static_cast<int>(own_rows + gathered_rows), 1, true), start,
                  [this, k, rows](const sc_time& summed) {
                    cs_.sums = std::max(cs_.sums, summed);
                    cs_.rows_received += rows;
                    --cs_.finals[k].pending;
                    final_progress(k);
                  });
  }
  fd.walked = true;
  final_progress(k);
  return local;
}

void ProgramEngine::final_progress(int k) {
  FinalDescriptor& fd = cs_.finals[k];
  if (!fd.walked || fd.pending > 0 || fd.finished) return;
  auto finish = [this, k](const sc_time& at) {
    cs_.finals[k].finished = true;
    cs_.done = std::max(cs_.done, at);
    for (int i = 0; i < cs_.final_count; ++i)
      if (!cs_.finals[i].finished) return;
    // Every sum is in and rounded: the owner's combine is complete.
    ports_.record(cs_.phase, true, cs_.rows_received, std::max(cs_.done, cs_.sums));
    cs_.finished = true;
    combine_finished_.notify(sc_core::SC_ZERO_TIME);
  };
  if (fd.outputs == 0) {
    finish(cs_.sums);
    return;
  }
  // The last entry of each token rounds its FP32 sum to BF16: one pass over the scratch rows of the
  // tokens that end in this descriptor, once every sum so far is in.
  fd.pending = 1;  // the rounding pass
  const PhasePlan& p = registry_.get(cs_.phase).plan;
  const uint64_t scratch_bytes = static_cast<uint64_t>(fd.outputs) * 2 * static_cast<uint64_t>(p.combine_bytes_per_token);
  // An FP32 row takes the input bandwidth of two BF16 rows (the unit's lanes take BF16).
  issue_.reduce(combine_reduction(p, scratch_bytes, static_cast<int>(fd.outputs), 2, false), cs_.sums,
                [this, finish](const sc_time& rounded) { finish(rounded); });
}

sc_time ProgramEngine::wait_combine(const sc_time& local) {
  if (!cs_.finished) {
    ports_.sync_to(local);
    while (!cs_.finished) sc_core::wait(combine_finished_);
  }
  return std::max({local, sc_core::sc_time_stamp(), cs_.done});
}

sc_time ProgramEngine::combine(int phase, const sc_time& start) {
  PhaseRuntime& rt = registry_.get(phase);
  ProgramPhase& pp = *rt.program;
  const int me = ports_.gpu_id();
  const GpuProgram& gp = pp.programs[static_cast<size_t>(me)];
  if (static_cast<uint64_t>(rt.plan.combine_bytes_per_token) != pp.combine_row_bytes)
    record_mismatch(pp, fmt::format("GPU {}: COMBINE rows of {} bytes, the plan {}", me, pp.combine_row_bytes,
                                    rt.plan.combine_bytes_per_token));
  // Its experts are done: other GPUs may read its outputs from now on.
  pp.outputs_ready[static_cast<size_t>(me)] = 1;
  pp.outputs_ready_at[static_cast<size_t>(me)] = start;
  pp.outputs_event.notify(sc_core::SC_ZERO_TIME);
  cs_ = CombineState{};
  cs_.phase = phase;
  cs_.sums = cs_.done = start;
  cs_.final_count = gp.forward_stage ? 2 : 1;
  if (!gp.forward_stage) return final_stage(phase, gp.combine_final, 0, start);
  sc_time local = forward_stage(phase, start);
  local = final_stage(phase, gp.combine_final, 0, local);  // its own node's rows: no need to wait
  local = wait_signals(pp.combine_forwarded, static_cast<int>(gp.combine_wait_insn.u("value")),
                       issue_.before_descriptor(gp.combine_wait_insn, local), 1);
  return final_stage(phase, gp.combine_gathered, 1, local);
}

void ProgramEngine::on_arrival(Transfer& t, const sc_time& done) {
  const int phase = t.phase;
  if (t.kind == TransferKind::combine_gathered) return;  // lands in the gather rows; the final stage sums it
  // pull_data
  if (t.stage == 0) {
    // A forwarder's read of rows for several windows: each window whose last row this is reduces.
    PhaseRuntime& rt = registry_.get(phase);
    for (const ReadPart& part : reads_[static_cast<size_t>(t.window)]) {
      WindowJoin& join = rt.joins[static_cast<size_t>(rt.plan.window_base[static_cast<size_t>(part.stream)] + part.window)];
      join.last = std::max(join.last, done);
      if ((join.remaining -= part.rows) > 0) continue;
      finish_join(phase, part.stream, part.window);
    }
    return;
  }
  // A read of the final descriptor t.stream: summed into the FP32 scratch.
  const int rows = t.tokens, k = t.stream;
  ++cs_.finals[k].pending;
  issue_.reduce(combine_reduction(registry_.get(phase).plan, t.bytes, rows, 1, true), done,
                [this, k, rows](const sc_time& summed) {
                  cs_.sums = std::max(cs_.sums, summed);
                  cs_.rows_received += rows;
                  --cs_.finals[k].pending;
                  final_progress(k);
                });
}

}  // namespace hwlab::emulator

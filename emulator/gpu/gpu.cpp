#include "emulator/gpu/gpu.h"

#include <algorithm>

#include <fmt/format.h>

namespace hwlab::emulator {

Gpu::Gpu(sc_core::sc_module_name name, int id, const GpuSettings& settings, const StreamPlan& plan,
         std::unique_ptr<IssueModel> issue, PhaseRegistry& registry, const ComputeModel& compute,
         const workloads::WorkloadConfig& workload, const FaultState& faults, int planes)
    : sc_module(name), nvlink("nvlink"), nic("nic"), rx("rx"), id_(id), settings_(settings), plan_(plan),
      issue_(std::move(issue)), registry_(registry), compute_(compute), workload_(workload), faults_(faults),
      planes_(planes), engine_(*this, *issue_, registry) {
  rx.register_b_transport(this, &Gpu::rx_transport);
  phase_status_.resize(static_cast<size_t>(registry.phases()) * 2);
  const size_t tasks = static_cast<size_t>(registry.phases()) * 4;
  task_done_.assign(tasks, 0);
  SC_THREAD(stream_a);
  SC_THREAD(stream_b);
}

size_t Gpu::task_index(const Task& t) const {
  return static_cast<size_t>(registry_.phase_index(t.layer, t.micro_batch)) * 4 + static_cast<size_t>(t.kind);
}

void Gpu::run_stream(const std::vector<Task>& tasks, int stream) {
  for (const Task& task : tasks) run_task(task, stream);
  ++streams_done_;
}

void Gpu::wait_for(const Task& task) {
  const size_t i = task_index(task);
  while (!task_done_[i]) {
    waiting_ = {true, false, task};  // formatted only for a report (waiting_on)
    wait(task_finished_);
  }
  waiting_.active = false;
}

sc_time Gpu::compute_time(const Task& task) const {
  const int phase = registry_.phase_index(task.layer, task.micro_batch);
  double s = 0;
  if (task.kind == TaskKind::attention) {
    s = compute_.seconds(compute_.attention(workload_.deployment.tokens_per_gpu), false, settings_.compute_sms_a);
  } else {
    const PhasePlan& p = registry_.get(phase).plan;
    const auto& slots = p.slot_tokens[static_cast<size_t>(id_)];
    const int sms = workload_.deployment.phase == workloads::Phase::prefill ? settings_.compute_sms_a
                                                                            : settings_.compute_sms_b;
    s = compute_.seconds(compute_.experts(slots.data(), static_cast<int>(slots.size())), true, sms);
    const int shared = p.shared_tokens[static_cast<size_t>(id_)];
    if (shared > 0) s += compute_.seconds(compute_.shared_expert(shared), true, sms);
  }
  return seconds(s * settings_.compute_slowdown);
}

void Gpu::run_task(const Task& task, int stream) {
  Task before;
  if (dependency(task, settings_.comm_only, &before)) wait_for(before);
  quantum_.sync();
  running_ = task;
  const sc_time start = sc_core::sc_time_stamp();
  const int phase = registry_.phase_index(task.layer, task.micro_batch);
  switch (task.kind) {
    case TaskKind::attention:
    case TaskKind::experts:
      wait(compute_time(task));
      break;
    case TaskKind::dispatch:
    case TaskKind::combine: {
      const bool combine = task.kind == TaskKind::combine;
      if (flow_) {
        // Flow model: nothing crosses the sockets; the phase ends when its loads are through.
        waiting_ = {true, true, task};
        flow_->run(phase, combine);
        waiting_.active = false;
        if (combine) registry_.release(phase);
        break;
      }
      waiting_ = {true, true, task};  // a program may block on other GPUs while it issues
      const sc_time issued = program_ ? (combine ? program_->combine(phase, start) : program_->dispatch(phase, start))
                                      : (combine ? engine_.combine(phase, start) : engine_.dispatch(phase, start));
      advance(issued);
      quantum_.sync();
      if (program_ && combine) {
        // The program's reductions and rounding may finish after its last issue (cycle-level unit).
        const sc_time rounded = program_->wait_combine(sc_core::sc_time_stamp());
        if (rounded > sc_core::sc_time_stamp()) wait(rounded - sc_core::sc_time_stamp());
      }
      wait_phase(phase, combine);
      if (program_ && !combine) {
        // WAIT dispatch_counter == GPUs: every sender's signal, after all its bytes landed.
        const sc_time signalled = program_->wait_dispatch(phase, sc_core::sc_time_stamp());
        if (signalled > sc_core::sc_time_stamp()) wait(signalled - sc_core::sc_time_stamp());
      }
      waiting_.active = false;
      if (combine) {
        // Every token copy and every sum of this micro-batch is in: both counts must match the plan.
        for (bool c : {false, true}) {
          const PhaseStatus& st = status(phase, c);
          if (st.received != st.expected) ++wrong_deliveries_;
        }
        registry_.release(phase);
      }
      break;
    }
  }
  spans_.push_back({task, stream, start, sc_core::sc_time_stamp()});
  const size_t i = task_index(task);
  task_done_[i] = 1;
  task_finished_.notify(sc_core::SC_ZERO_TIME);
}

Gpu::PhaseStatus& Gpu::status(int phase, bool combine) {
  PhaseStatus& s = phase_status_[static_cast<size_t>(phase) * 2 + (combine ? 1 : 0)];
  if (!s.started) {
    const PhasePlan& p = registry_.get(phase).plan;
    s.expected = combine ? p.combine_expected[static_cast<size_t>(id_)] : p.dispatch_expected[static_cast<size_t>(id_)];
    s.started = true;
  }
  return s;
}

void Gpu::record(int phase, bool combine, int64_t tokens, const sc_time& done) {
  PhaseStatus& s = status(phase, combine);
  s.received += tokens;
  s.last = std::max(s.last, done);
  if (!s.complete && s.received >= s.expected) {
    s.complete = true;
    if (!s.done) s.done = std::make_unique<sc_core::sc_event>();
    s.done->notify(std::max(sc_core::SC_ZERO_TIME, s.last - sc_core::sc_time_stamp()));
  }
}

void Gpu::wait_phase(int phase, bool combine) {
  PhaseStatus& s = status(phase, combine);
  if (s.expected == 0) s.complete = true;  // nothing to receive
  if (!s.complete && !s.done) s.done = std::make_unique<sc_core::sc_event>();
  while (!s.complete) wait(*s.done);
  if (s.last > sc_core::sc_time_stamp()) wait(s.last - sc_core::sc_time_stamp());
  // Late or duplicate deliveries after completion would show here; the check runs once the phase's
  // traffic has settled (at the end of the combine that follows, see run_task).
}

void Gpu::use_isa_programs(ProgramEngine::SignalLatency latency) {
  program_ = std::make_unique<ProgramEngine>(*this, *issue_, registry_, engine_, std::move(latency));
  engine_.use_programs(program_.get());
}

void Gpu::sync_to(const sc_time& local) {
  advance(local);
  quantum_.sync();
}

void Gpu::advance(const sc_time& local) {
  const sc_time now = sc_core::sc_time_stamp();
  if (local <= now) return;
  quantum_.set(local - now);
  if (quantum_.need_sync()) quantum_.sync();
}

sc_time Gpu::send(tlm_utils::simple_initiator_socket<Gpu>& socket, Transfer& t, const sc_time& head) {
  const bool combine = t.kind == TransferKind::combine_peer || t.kind == TransferKind::combine_to_forwarder ||
                       t.kind == TransferKind::combine_reduced || t.kind == TransferKind::pull_data ||
                       t.kind == TransferKind::combine_gathered;
  // Read requests are control messages: they take link time but carry no payload.
  if (t.kind != TransferKind::pull_request) bytes_sent_[combine ? 1 : 0][&socket == &nic ? 1 : 0] += t.bytes;
  TransferPayload payload(t);
  const sc_time now = sc_core::sc_time_stamp();
  sc_time delay = head > now ? head - now : sc_core::SC_ZERO_TIME;
  socket->b_transport(payload.payload(), delay);
  return payload.transfer().not_before;
}

sc_time Gpu::send_nvlink(Transfer& t, const sc_time& head) { return send(nvlink, t, head); }

sc_time Gpu::send_ib(Transfer& t, const sc_time& head) {
  if (faults_.nic_ok(id_)) return send(nic, t, head);
  // NIC down: hand the bytes over NVLink to a node peer on this GPU's plane, which sends them on.
  const int per_node = workload_.deployment.gpus_per_node;
  Transfer relay = t;
  relay.via = faults_.relay_for(id_, per_node, planes_, (id_ % per_node) % planes_);
  relay.relay_ib = true;
  return send(nvlink, relay, head);
}

void Gpu::rx_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Transfer& t = transfer_of(payload);
  const sc_time done = sc_core::sc_time_stamp() + delay;
  if (t.relay_ib) {
    // A node peer's NIC is down: send its bytes on over this GPU's NIC.
    Transfer onward = t;
    onward.relay_ib = false;
    onward.via = -1;
    onward.not_before = done;
    t.not_before = send(nic, onward, done);
    delay = t.not_before - sc_core::sc_time_stamp();
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (t.dst != id_) {
    // Landed on this GPU's NIC because the destination's NIC is on another plane: relay it over
    // NVLink inside the node (no SMs: the NIC writes through the node's fabric).
    Transfer relay = t;
    relay.over_ib = false;
    relay.not_before = done;
    t.not_before = send(nvlink, relay, done);
    delay = t.not_before - sc_core::sc_time_stamp();
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  engine_.on_arrival(t, done);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

std::string Gpu::waiting_on() const {
  if (finished()) return std::string();
  if (!waiting_.active) {
    if (!running_) return "its first task to start";
    return fmt::format("its {} of layer {}, micro-batch {} to end (running)", task_name(running_->kind),
                       running_->layer, running_->micro_batch);
  }
  const Task& t = waiting_.task;
  return fmt::format("{}{} of layer {}, micro-batch {}", task_name(t.kind), waiting_.arrivals ? " arrivals" : "",
                     t.layer, t.micro_batch);
}

}  // namespace hwlab::emulator

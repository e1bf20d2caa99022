#include "emulator/comm/issue_model.h"

#include <algorithm>

namespace hwlab::emulator {

SmIssueModel::SmIssueModel(const std::string& gpu_name, const config::CommSmSpec& spec, int sms)
    : sms_(sms), chunk_overhead_(microseconds(spec.chunk_overhead_us / std::max(1, sms))) {
  const double k = sms;
  roles_.emplace_back(gpu_name + ".sm.nvlink_send", k * spec.nvlink_send_GBps_per_sm);
  roles_.emplace_back(gpu_name + ".sm.ib_send", k * spec.ib_send_GBps_per_sm);
  roles_.emplace_back(gpu_name + ".sm.forward", k * spec.forward_GBps_per_sm);
  roles_.emplace_back(gpu_name + ".sm.receive", k * spec.receive_GBps_per_sm);
  roles_.emplace_back(gpu_name + ".sm.reduce", k * spec.reduce_GBps_per_sm);
}

BandwidthServer::Grant SmIssueModel::send(CommRole role, uint64_t bytes, const sc_time& ready, bool) {
  return server(role).serve(ready, bytes, sc_core::SC_ZERO_TIME, chunk_overhead_);
}

sc_time SmIssueModel::process(CommRole role, uint64_t bytes, const sc_time& arrival) {
  return server(role).serve(arrival, bytes, sc_core::SC_ZERO_TIME, chunk_overhead_).done;
}

std::vector<const BandwidthServer*> SmIssueModel::servers() const {
  std::vector<const BandwidthServer*> out;
  for (const auto& s : roles_) out.push_back(&s);
  return out;
}

CoprocessorIssueModel::CoprocessorIssueModel(const std::string& gpu_name, const config::CoprocessorSpec& spec,
                                             int gpus_per_node, uint64_t seed)
    : issue_latency_(microseconds(spec.issue_latency_us)),
      slots_(static_cast<size_t>(spec.command_queues) * static_cast<size_t>(spec.queue_depth)),
      reduce_(gpu_name + ".coproc.reduce", spec.reduce_GBps), gpus_per_node_(gpus_per_node) {
  for (int e = 0; e < spec.dma_engines; ++e)
    engines_.emplace_back(gpu_name + ".coproc.dma" + std::to_string(e), spec.dma_engine_GBps);
  if (spec.model == config::CoprocessorModel::rtl)
    rtl_ = std::make_unique<CoprocessorRtl>((gpu_name + "_coproc_rtl").c_str(), spec, seed);
}

sc_time CoprocessorIssueModel::before_issue(const Transfer& t, const sc_time& ready) {
  return rtl_ ? std::max(ready, rtl_->decode(t, gpus_per_node_)) : ready;
}

sc_time CoprocessorIssueModel::before_descriptor(const isa::Instruction& insn, const sc_time& ready) {
  return rtl_ ? std::max(ready, rtl_->decode(insn)) : ready;
}

void CoprocessorIssueModel::reduce(const ReduceWork& work, const sc_time& arrival,
                                   const std::function<void(const sc_time&)>& then) {
  if (rtl_) rtl_->reduce(work, arrival, then);
  else IssueModel::reduce(work, arrival, then);
}

BandwidthServer::Grant CoprocessorIssueModel::on_free_engine(uint64_t bytes, const sc_time& ready) {
  // Engines book out of time order (arrival-triggered work is booked ahead), so "the engine that is
  // free first" means the one whose calendar finishes this transfer earliest.
  BandwidthServer* best = &engines_.front();
  sc_time best_done = sc_core::SC_ZERO_TIME;
  const sc_time alone = ready + serialization(bytes, engines_.front().GBps());
  for (auto& e : engines_) {
    const sc_time done = e.earliest_done(ready, bytes);
    if (&e == &engines_.front() || done < best_done) {
      best = &e;
      best_done = done;
    }
    if (done == alone) break;  // an idle engine: nothing beats it
  }
  return best->serve(ready, bytes);
}

BandwidthServer::Grant CoprocessorIssueModel::send(CommRole, uint64_t bytes, const sc_time& ready, bool from_queue) {
  sc_time issue = ready;
  if (from_queue && in_flight_.size() >= slots_) {
    // Queue full: the descriptor waits for the oldest transfer in flight to complete.
    if (in_flight_.top() > issue) ++queue_full_stalls_;
    issue = std::max(issue, in_flight_.top());
    in_flight_.pop();
  }
  return on_free_engine(bytes, issue + issue_latency_);
}

sc_time CoprocessorIssueModel::process(CommRole role, uint64_t bytes, const sc_time& arrival) {
  switch (role) {
    case CommRole::reduce: return reduce_.serve(arrival, bytes).done;
    case CommRole::receive:  // DMA writes land in place: nothing to copy out
    case CommRole::forward:  // forwarding is a send (see send())
    case CommRole::nvlink_send:
    case CommRole::ib_send: break;
  }
  return arrival;
}

void CoprocessorIssueModel::completed(const sc_time& done) { in_flight_.push(done); }

std::vector<const BandwidthServer*> CoprocessorIssueModel::servers() const {
  std::vector<const BandwidthServer*> out;
  for (const auto& e : engines_) out.push_back(&e);
  out.push_back(&reduce_);
  return out;
}

}  // namespace hwlab::emulator

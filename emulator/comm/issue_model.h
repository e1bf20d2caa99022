// How a GPU's share of dispatch and combine costs time on the sending and receiving side, apart
// from the links: the SM-driven baseline (k SMs in warp-specialised roles, DeepEP-style) or the
// proposed communication co-processor (DMA engines, a reduce unit, command queues).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "common/config/platform.h"
#include "common/config/proposal.h"
#include "emulator/comm/coproc_rtl.h"
#include "emulator/core/bandwidth_server.h"
#include "emulator/core/transfer.h"

namespace hwlab::emulator {

enum class CommRole { nvlink_send, ib_send, forward, receive, reduce };

class IssueModel {
 public:
  virtual ~IssueModel() = default;
  // Reserves the resources that put `bytes` on a link, from `ready` on: the first byte leaves at
  // `start`, the last at `done` (cut-through with the link). Roles nvlink_send, ib_send, forward.
  // `from_queue`: issued by this GPU's own command stream in time order (dispatch/combine loops), as
  // opposed to work triggered by arrivals (forwarding, reduced windows), which the co-processor
  // executes without taking a command-queue slot.
  virtual BandwidthServer::Grant send(CommRole role, uint64_t bytes, const sc_time& ready, bool from_queue) = 0;
  // Receiver-side work on data whose last byte arrived at `arrival`: roles receive (copy-out) and
  // reduce. Returns when it is finished.
  virtual sc_time process(CommRole role, uint64_t bytes, const sc_time& arrival) = 0;
  // Before a queued send (`from_queue`) takes its resources: the time from which it can, at least
  // `ready`. Cycle-level models decode its descriptor here and wait the cycles (so: from an
  // SC_THREAD, never from within a transport call).
  virtual sc_time before_issue(const Transfer& t, const sc_time& ready) {
    (void)t;
    return ready;
  }
  // A program's descriptor (ISA programs) starts at `ready`: the time from which its work can begin.
  virtual sc_time before_descriptor(const isa::Instruction& insn, const sc_time& ready) {
    (void)insn;
    return ready;
  }
  // A reduction whose inputs are in at `arrival`; `then(done)` runs when the sums are in: at once
  // for throughput models (process(reduce)), later, from the model's own thread, for cycle-level ones.
  virtual void reduce(const ReduceWork& work, const sc_time& arrival, const std::function<void(const sc_time&)>& then) {
    then(process(CommRole::reduce, work.bytes, arrival));
  }
  // A queued send issued by this GPU completed at `done` (frees a command-queue slot).
  virtual void completed(const sc_time& done) { (void)done; }
  // SMs this engine takes away from compute.
  virtual int sms() const = 0;
  // Every server, for utilisation statistics.
  virtual std::vector<const BandwidthServer*> servers() const = 0;
};

// k SMs; each role runs on all of them (warp specialisation) at k x its per-SM rate.
class SmIssueModel : public IssueModel {
 public:
  SmIssueModel(const std::string& gpu_name, const config::CommSmSpec& spec, int sms);
  BandwidthServer::Grant send(CommRole role, uint64_t bytes, const sc_time& ready, bool from_queue) override;
  sc_time process(CommRole role, uint64_t bytes, const sc_time& arrival) override;
  int sms() const override { return sms_; }
  std::vector<const BandwidthServer*> servers() const override;

 private:
  BandwidthServer& server(CommRole role) { return roles_[static_cast<size_t>(role)]; }
  int sms_;
  sc_time chunk_overhead_;
  std::vector<BandwidthServer> roles_;
};

// DMA engines (each transfer on the engine that can start it first), a reduce unit, and command
// queues whose depth bounds the descriptors in flight: a full queue holds the next descriptor back
// until the oldest outstanding one completes. With `model: rtl` the descriptor decoder and the
// reduce unit are the Verilated RTL, cycle by cycle (coproc_rtl.h); the DMA engines and queues stay.
class CoprocessorIssueModel : public IssueModel {
 public:
  CoprocessorIssueModel(const std::string& gpu_name, const config::CoprocessorSpec& spec, int gpus_per_node,
                        uint64_t seed);
  sc_time before_issue(const Transfer& t, const sc_time& ready) override;
  sc_time before_descriptor(const isa::Instruction& insn, const sc_time& ready) override;
  void reduce(const ReduceWork& work, const sc_time& arrival, const std::function<void(const sc_time&)>& then) override;
  const CoprocessorRtl* rtl() const { return rtl_.get(); }
  BandwidthServer::Grant send(CommRole role, uint64_t bytes, const sc_time& ready, bool from_queue) override;
  sc_time process(CommRole role, uint64_t bytes, const sc_time& arrival) override;
  void completed(const sc_time& done) override;
  int sms() const override { return 0; }
  std::vector<const BandwidthServer*> servers() const override;
  uint64_t queue_full_stalls() const { return queue_full_stalls_; }

 private:
  BandwidthServer::Grant on_free_engine(uint64_t bytes, const sc_time& ready);
  sc_time issue_latency_;
  size_t slots_;
  std::vector<BandwidthServer> engines_;
  BandwidthServer reduce_;
  std::priority_queue<sc_time, std::vector<sc_time>, std::greater<sc_time>> in_flight_;
  uint64_t queue_full_stalls_ = 0;
  int gpus_per_node_;
  std::unique_ptr<CoprocessorRtl> rtl_;  // model rtl only
};

}  // namespace hwlab::emulator

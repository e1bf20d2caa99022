// One GPU: its SMs run the MoE layer's tasks on two in-order streams (moe/schedule.h), compute
// kernels take roofline time on the SMs left to them, and its communication engine (SM channels or
// a co-processor) moves dispatch and combine data through its NVLink port and its NIC.
//
// Sockets: `nvlink` (initiator, to its node's NVSwitch), `nic` (initiator, to its NIC),
//          `rx` (multi target: from the NVSwitch and from the NIC).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "emulator/comm/comm_engine.h"
#include "emulator/comm/flow_engine.h"
#include "emulator/comm/program_engine.h"
#include "emulator/core/fault_state.h"
#include "emulator/gpu/compute_model.h"
#include "emulator/moe/schedule.h"

namespace hwlab::emulator {

// When a task ran on a GPU (trace and metrics).
struct TaskSpan {
  Task task;
  int stream = 0;  // 0: stream A, 1: stream B
  sc_time start, end;
};

struct GpuSettings {
  int compute_sms_a = 0;   // SMs of stream A (attention; experts too in prefill)
  int compute_sms_b = 0;   // SMs of stream B's expert GEMMs (decode)
  double compute_slowdown = 1.0;  // a straggler GPU's compute takes this many times longer
  bool comm_only = false;
};

class Gpu : public sc_core::sc_module, public GpuPorts {
 public:
  tlm_utils::simple_initiator_socket<Gpu> nvlink;
  tlm_utils::simple_initiator_socket<Gpu> nic;
  tlm_utils::multi_passthrough_target_socket<Gpu> rx;

  SC_HAS_PROCESS(Gpu);
  Gpu(sc_core::sc_module_name name, int id, const GpuSettings& settings, const StreamPlan& plan,
      std::unique_ptr<IssueModel> issue, PhaseRegistry& registry, const ComputeModel& compute,
      const workloads::WorkloadConfig& workload, const FaultState& faults, int planes);

  // GpuPorts
  int gpu_id() const override { return id_; }
  sc_time send_nvlink(Transfer& t, const sc_time& head) override;
  sc_time send_ib(Transfer& t, const sc_time& head) override;
  void record(int phase, bool combine, int64_t tokens, const sc_time& done) override;
  void advance(const sc_time& local) override;
  void sync_to(const sc_time& local) override;

  // The flow-level network model (platform.emulation.network_model: flow) instead of the TLM sockets.
  void use_flow_model(FlowEngine* flow) { flow_ = flow; }
  // The co-processor runs the ISA programs (proposal.coprocessor.program: isa); signals take `latency`.
  void use_isa_programs(ProgramEngine::SignalLatency latency);

  bool finished() const { return streams_done_ == 2; }
  // Phases whose received token count differs from the plan (0 in a correct model).
  int wrong_deliveries() const { return wrong_deliveries_; }
  // The task this GPU waits on, for deadlock reports ("" when finished).
  std::string waiting_on() const;
  const std::vector<TaskSpan>& spans() const { return spans_; }
  const IssueModel& issue_model() const { return *issue_; }
  const ProgramEngine* program_engine() const { return program_.get(); }
  // Bytes this GPU put on links: [combine][over_ib] (forwarded and relayed hops included).
  uint64_t bytes_sent(bool combine, bool over_ib) const {
    return bytes_sent_[combine ? 1 : 0][over_ib ? 1 : 0] + (flow_ ? flow_->bytes_sent(id_, combine, over_ib) : 0);
  }

 private:
  struct PhaseStatus {
    bool started = false;  // expected counts known
    int64_t expected = 0, received = 0;
    sc_time last = sc_core::SC_ZERO_TIME;
    bool complete = false;
    // Made when first needed, by the completion's notification or a wait_phase() that has to
    // wait: none on the flow model (nothing arrives through the sockets), and none built with the
    // cluster (creating SystemC events during elaboration names each and files it in the kernel's
    // object table: ~230 per GPU). The notification is made even with no one waiting, as before:
    // it holds a place in the kernel's timed queue, and so the order of same-time wake-ups.
    std::unique_ptr<sc_core::sc_event> done;
  };

  void stream_a() { run_stream(plan_.a, 0); }
  void stream_b() { run_stream(plan_.b, 1); }
  void run_stream(const std::vector<Task>& tasks, int stream);
  void run_task(const Task& task, int stream);
  void wait_for(const Task& task);
  sc_time compute_time(const Task& task) const;
  size_t task_index(const Task& t) const;
  PhaseStatus& status(int phase, bool combine);
  void wait_phase(int phase, bool combine);
  void rx_transport(int port, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  sc_time send(tlm_utils::simple_initiator_socket<Gpu>& socket, Transfer& t, const sc_time& head);

  int id_;
  GpuSettings settings_;
  const StreamPlan& plan_;
  std::unique_ptr<IssueModel> issue_;
  PhaseRegistry& registry_;
  const ComputeModel& compute_;
  const workloads::WorkloadConfig& workload_;
  const FaultState& faults_;
  int planes_;
  CommEngine engine_;
  std::unique_ptr<ProgramEngine> program_;
  FlowEngine* flow_ = nullptr;
  tlm_utils::tlm_quantumkeeper quantum_;

  std::vector<PhaseStatus> phase_status_;     // [phase * 2 + combine]
  std::vector<char> task_done_;               // [task_index]
  // Notified when any task ends. Only the other stream waits for a task, and it checks task_done_
  // again on waking: one event instead of one per task, whose registration in SystemC's object
  // table (a generated name, a string-keyed map) cost ~0.6 s of a 58-layer decode step.
  sc_core::sc_event task_finished_;
  std::vector<TaskSpan> spans_;
  struct Waiting {
    bool active = false;
    bool arrivals = false;  // for the task's arrivals (dispatch, combine), else for the task to end
    Task task{};
  } waiting_;  // what the GPU waits on, for waiting_on()
  std::optional<Task> running_;  // the last task started (what a GPU that waits on nothing else is busy with)
  int streams_done_ = 0;
  int wrong_deliveries_ = 0;
  uint64_t bytes_sent_[2][2] = {{0, 0}, {0, 0}};
};

}  // namespace hwlab::emulator

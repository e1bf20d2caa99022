// The phase plans of a run, built on first use and dropped once every GPU has finished with them
// (a 58-layer decode step would not fit in memory otherwise), plus the state shared by the GPUs
// during a phase: the joins at which forwarders reduce a window once all its sums have arrived.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "emulator/comm/comm_plan.h"
#include "emulator/comm/program_phase.h"
#include "emulator/core/units.h"
#include "workloads/expert_layout.h"
#include "workloads/token_router.h"
#include "workloads/workload_config.h"

namespace hwlab::emulator {

struct WindowJoin {
  int remaining = -1;  // contributions still to come (-1: not started)
  sc_time last = sc_core::SC_ZERO_TIME;
  uint64_t bytes = 0;
};

struct PhaseRuntime {
  int layer = 0, micro_batch = 0;
  PhasePlan plan;
  std::vector<WindowJoin> joins;  // parallel to plan.window_contributors
  int gpus_finished = 0;
  std::unique_ptr<ProgramPhase> program;  // the co-processors run the ISA programs (else null)
};

// What the co-processors' ISA programs did over a run (proposal.coprocessor.program: isa).
struct ProgramTotals {
  int64_t phases = 0;
  uint64_t descriptors = 0;    // queue descriptors executed (DISPATCH, WAIT, COMBINE)
  uint64_t table_entries = 0;  // routing-table entries walked
  int64_t plan_mismatches = 0; // batches cut from the tables that are not the timing plan's windows
  std::string first_mismatch;
};

// A plan that replaces the workload's routing (collective benchmarks); empty = use the routing.
using PlanOverride = std::function<PhasePlan(int layer, int micro_batch)>;

// Functional mode: every phase's DISPATCH/COMBINE programs (isa/moe) also run for real on the ISA
// executor with seeded data, and are checked against a direct reference (isa/moe/moe_check.h).
struct FunctionalTotals {
  int64_t phases = 0;
  int64_t token_copies = 0, wrong_copies = 0, wrong_destination_lists = 0;
  int64_t combined_rows = 0, wrong_combined_elements = 0;
  int64_t byte_mismatches = 0;
  uint64_t descriptors = 0;       // descriptors the co-processors executed, expansions included
  uint64_t payload_bytes[3] = {};  // local, NVLink, IB payload bytes the programs moved
};

class PhaseRegistry {
 public:
  PhaseRegistry(const workloads::WorkloadConfig& workload, int layers, int chunk_bytes, PlanOverride override_plan = {},
                bool functional = false);

  int phases() const { return layers_ * micro_batches_; }
  int phase_index(int layer, int micro_batch) const { return layer * micro_batches_ + micro_batch; }
  // The phase, built on first use.
  PhaseRuntime& get(int phase);
  // A GPU is done with the phase; the last one frees it.
  void release(int phase);
  // The expert placement of a layer (EPLB on the history loads of that layer), built on first use.
  const workloads::ExpertLayout& layout(int layer);
  bool functional() const { return functional_; }
  // The co-processors run the ISA programs of isa/moe, built with each phase.
  void use_isa_programs() { isa_programs_ = true; }
  bool isa_programs() const { return isa_programs_; }
  const ProgramTotals& program_totals() const { return program_totals_; }
  const FunctionalTotals& functional_totals() const { return totals_; }

 private:
  void check_functional(const PhaseRuntime& rt, const std::vector<workloads::Routing>& routing);
  const workloads::WorkloadConfig& workload_;
  int layers_, micro_batches_, chunk_bytes_;
  PlanOverride override_;
  bool functional_;
  bool isa_programs_ = false;
  FunctionalTotals totals_;
  ProgramTotals program_totals_;
  std::unique_ptr<workloads::TokenRouter> router_;  // unless overridden
  std::vector<std::unique_ptr<workloads::ExpertLayout>> layouts_;
  std::vector<std::unique_ptr<PhaseRuntime>> phases_;
  std::vector<char> released_;
};

}  // namespace hwlab::emulator

// One micro-batch of one MoE layer run for real: the generated DISPATCH and COMBINE programs execute
// on the functional executor with seeded token rows and expert outputs, and every result is held to
// a direct reference computed from the routing alone:
//  - every token lands at exactly the GPUs the expert placement sends it to, byte for byte, and
//    nowhere else (every token-GPU pair once);
//  - every combined row equals the reference sum in the ISA's documented order, bit for bit (FP32
//    accumulation, forwarded nodes' rows pre-summed and rounded to BF16, one final BF16 rounding);
//  - the executor's NVLink and IB bytes per GPU pair equal workloads/traffic.h's matrices.
// Used by the ISA tests and by the emulator's functional mode (emulator/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "isa/counters.h"
#include "isa/memory.h"
#include "isa/moe/moe_programs.h"
#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::isa::moe {

struct MoeCheckOptions {
  uint64_t seed = 1;  // token rows and expert outputs
  // Called between dispatch and the checks (tests corrupt memory here to see the checks fire).
  std::function<void(Memory&, const MoePrograms&)> after_dispatch;
  // Look for stray copies at every GPU that should not have a token (G x G x T reads); off, the
  // byte counters stand in (every expected copy present and exactly the expected bytes moved
  // leave no room for a stray one). Auto: on when G*G*T <= 2^22.
  enum class Scan { automatic, always, never };
  Scan scan_strays = Scan::automatic;
};

struct MoeCheck {
  int64_t tokens = 0;                   // token rows dispatched (all GPUs)
  int64_t deliveries = 0;               // token copies the reference expects (links and local)
  int64_t wrong_destination_lists = 0;  // tokens whose generated destination list differs from the reference
  int64_t wrong_deliveries = 0;         // expected copies missing or corrupt, and stray copies
  int64_t combined_rows = 0;            // rows combined back at their owners
  int64_t wrong_combined_elements = 0;  // elements differing from the reference bit pattern
  int64_t byte_mismatches = 0;          // GPU pairs whose executor bytes differ from workloads/traffic.h
  uint64_t descriptors = 0;             // descriptors executed, macro expansions included
  Counters dispatch, combine;           // the executor's counters
  std::vector<std::string> findings;    // the first few differences, readable

  bool ok() const {
    return wrong_destination_lists == 0 && wrong_deliveries == 0 && wrong_combined_elements == 0 &&
           byte_mismatches == 0;
  }
  std::string summary() const;
};

// Generates the programs of one micro-batch, runs them and checks them (see above). Errors of the
// programs themselves (window violations, deadlocks) propagate as UserError.
MoeCheck run_and_check_moe(const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                           const std::vector<workloads::Routing>& tokens_by_gpu, const MoeCheckOptions& options = {});

}  // namespace hwlab::isa::moe

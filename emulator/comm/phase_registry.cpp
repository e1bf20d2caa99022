#include "emulator/comm/phase_registry.h"

#include <stdexcept>

#include <fmt/format.h>

#include "isa/moe/moe_check.h"
#include "isa/moe/moe_programs.h"

namespace hwlab::emulator {

PhaseRegistry::PhaseRegistry(const workloads::WorkloadConfig& workload, int layers, int chunk_bytes,
                             PlanOverride override_plan, bool functional)
    : workload_(workload), layers_(layers), micro_batches_(workload.deployment.micro_batches),
      chunk_bytes_(chunk_bytes), override_(std::move(override_plan)), functional_(functional),
      router_(override_ ? nullptr : std::make_unique<workloads::TokenRouter>(workload)),
      layouts_(static_cast<size_t>(layers)), phases_(static_cast<size_t>(layers * micro_batches_)),
      released_(static_cast<size_t>(layers * micro_batches_), 0) {}

const workloads::ExpertLayout& PhaseRegistry::layout(int layer) {
  auto& slot = layouts_[static_cast<size_t>(layer)];
  if (!slot) slot = std::make_unique<workloads::ExpertLayout>(workload_, router_->history_loads(layer));
  return *slot;
}

PhaseRuntime& PhaseRegistry::get(int phase) {
  auto& slot = phases_[static_cast<size_t>(phase)];
  if (!slot) {
    if (released_[static_cast<size_t>(phase)]) throw std::logic_error("phase used after every GPU finished it");
    auto rt = std::make_unique<PhaseRuntime>();
    rt->layer = phase / micro_batches_;
    rt->micro_batch = phase % micro_batches_;
    if (override_) {
      rt->plan = override_(rt->layer, rt->micro_batch);
    } else {
      const std::vector<workloads::Routing> routing = router_->route_micro_batch(rt->layer, rt->micro_batch);
      rt->plan = build_phase_plan(workload_, layout(rt->layer), routing, chunk_bytes_);
      if (functional_) check_functional(*rt, routing);
      if (isa_programs_) {
        rt->program = std::make_unique<ProgramPhase>();
        load_programs(isa::moe::generate_moe_programs(workload_, layout(rt->layer), routing), *rt->program);
      }
    }
    rt->joins.resize(rt->plan.window_contributors.size());
    slot = std::move(rt);
  }
  return *slot;
}

void PhaseRegistry::check_functional(const PhaseRuntime& rt, const std::vector<workloads::Routing>& routing) {
  isa::moe::MoeCheckOptions options;
  options.seed = static_cast<uint64_t>(workload_.routing.seed) * 1000003u + static_cast<uint64_t>(rt.layer) * 16u +
                 static_cast<uint64_t>(rt.micro_batch);
  const isa::moe::MoeCheck c = isa::moe::run_and_check_moe(workload_, layout(rt.layer), routing, options);
  ++totals_.phases;
  totals_.token_copies += c.deliveries;
  totals_.wrong_copies += c.wrong_deliveries;
  totals_.wrong_destination_lists += c.wrong_destination_lists;
  totals_.combined_rows += c.combined_rows;
  totals_.wrong_combined_elements += c.wrong_combined_elements;
  totals_.byte_mismatches += c.byte_mismatches;
  totals_.descriptors += c.descriptors;
  for (int k = 0; k < 3; ++k)
    for (const isa::Counters* counters : {&c.dispatch, &c.combine})
      for (const auto& [ends, bytes] : counters->data_pairs[static_cast<size_t>(k)]) totals_.payload_bytes[k] += bytes;
  // The timing model's plan must move what the program moves: token copies per GPU.
  int64_t copies = 0;
  for (size_t g = 0; g < rt.plan.dispatch_expected.size(); ++g)
    copies += rt.plan.dispatch_expected[g] + rt.plan.local_tokens[g];
  if (!c.ok() || copies != c.deliveries)
    throw std::logic_error(fmt::format("functional check of layer {}, micro-batch {} failed (timing plan: {} token "
                                       "copies): {}",
                                       rt.layer, rt.micro_batch, copies, c.summary()));
}

void PhaseRegistry::release(int phase) {
  auto& slot = phases_[static_cast<size_t>(phase)];
  if (slot && ++slot->gpus_finished == slot->plan.gpus) {
    if (const ProgramPhase* pp = slot->program.get()) {
      ++program_totals_.phases;
      for (const GpuProgram& gp : pp->programs) {
        program_totals_.descriptors += gp.descriptors;
        program_totals_.table_entries +=
            gp.dispatch.entries.size() + gp.combine_forward.entries.size() + gp.combine_final.entries.size() +
            gp.combine_gathered.entries.size();
      }
      if (program_totals_.plan_mismatches == 0) program_totals_.first_mismatch = pp->first_mismatch;
      program_totals_.plan_mismatches += pp->plan_mismatches;
    }
    slot.reset();
    released_[static_cast<size_t>(phase)] = 1;
  }
}

}  // namespace hwlab::emulator

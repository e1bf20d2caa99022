#include "emulator/comm/phase_registry.h"

#include <stdexcept>

namespace hwlab::emulator {

PhaseRegistry::PhaseRegistry(const workloads::WorkloadConfig& workload, int layers, int chunk_bytes,
                             PlanOverride override_plan)
    : workload_(workload), layers_(layers), micro_batches_(workload.deployment.micro_batches),
      chunk_bytes_(chunk_bytes), override_(std::move(override_plan)),
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
    rt->plan = override_ ? override_(rt->layer, rt->micro_batch)
                         : build_phase_plan(workload_, layout(rt->layer),
                                            router_->route_micro_batch(rt->layer, rt->micro_batch), chunk_bytes_);
    rt->joins.resize(rt->plan.window_contributors.size());
    slot = std::move(rt);
  }
  return *slot;
}

void PhaseRegistry::release(int phase) {
  auto& slot = phases_[static_cast<size_t>(phase)];
  if (slot && ++slot->gpus_finished == slot->plan.gpus) {
    slot.reset();
    released_[static_cast<size_t>(phase)] = 1;
  }
}

}  // namespace hwlab::emulator

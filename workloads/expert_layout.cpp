#include "workloads/expert_layout.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::workloads {

namespace {

ExpertPlacement contiguous_placement(int experts) {
  ExpertPlacement p;
  p.policy = EplbPolicy::global;
  p.num_layers = 1;
  p.num_logical = p.num_physical = experts;
  p.max_replicas = 1;
  p.phy2log.assign(1, std::vector<int>(static_cast<size_t>(experts)));
  p.log2phy.assign(1, std::vector<std::vector<int>>(static_cast<size_t>(experts)));
  p.logcnt.assign(1, std::vector<int>(static_cast<size_t>(experts), 1));
  for (int e = 0; e < experts; ++e) {
    p.phy2log[0][static_cast<size_t>(e)] = e;
    p.log2phy[0][static_cast<size_t>(e)] = {e};
  }
  return p;
}

ExpertPlacement plan(const WorkloadConfig& w, const std::vector<double>& loads) {
  const int gpus = w.deployment.routed_expert_gpus();
  const int nodes = std::max(1, gpus / w.deployment.gpus_per_node);
  PlacementPolicy policy = w.placement.policy;
  if (policy == PlacementPolicy::eplb_auto)
    policy = (gpus % w.deployment.gpus_per_node == 0 && w.model.expert_groups % nodes == 0)
                 ? PlacementPolicy::eplb_hierarchical
                 : PlacementPolicy::eplb_global;
  switch (policy) {
    case PlacementPolicy::contiguous: return contiguous_placement(w.model.routed_experts);
    case PlacementPolicy::eplb_hierarchical:
      return rebalance_experts({loads}, w.physical_experts(), w.model.expert_groups, nodes, gpus);
    case PlacementPolicy::eplb_global:
    case PlacementPolicy::eplb_auto: break;
  }
  // EPLB's global policy: one group, one node.
  ExpertPlacement p = rebalance_experts({loads}, w.physical_experts(), 1, 1, gpus);
  p.policy = EplbPolicy::global;
  return p;
}

}  // namespace

ExpertLayout::ExpertLayout(const WorkloadConfig& w, const std::vector<double>& history_loads)
    : ExpertLayout(w, plan(w, history_loads)) {}

ExpertLayout::ExpertLayout(const WorkloadConfig& w, ExpertPlacement placement)
    : gpus_(w.deployment.gpus()),
      gpus_per_node_(w.deployment.gpus_per_node),
      slots_per_gpu_(w.experts_per_gpu()),
      shared_gpus_(w.deployment.shared_expert == SharedExpertMode::routed ? w.deployment.shared_expert_gpus : 0),
      placement_(std::move(placement)) {
  if (placement_.num_layers != 1 || placement_.num_logical != w.model.routed_experts ||
      placement_.num_physical != w.physical_experts()) {
    throw UserError(fmt::format("expert placement has {} layers, {} logical and {} physical experts; the workload "
                                "needs 1 layer, {} logical and {} physical",
                                placement_.num_layers, placement_.num_logical, placement_.num_physical,
                                w.model.routed_experts, w.physical_experts()));
  }
  nodes_ = (gpus_ + gpus_per_node_ - 1) / gpus_per_node_;
  index_replicas();
  for (int g = first_shared_gpu(); g < gpus_; ++g) shared_gpu_list_.push_back(g);
  if (!shared_gpu_list_.empty()) shared_runs_ = runs_by_node(shared_gpu_list_, [](int gpu) { return gpu; });
}

void ExpertLayout::index_replicas() {
  replica_slots_.assign(static_cast<size_t>(placement_.num_logical), {});
  const auto& phy2log = placement_.phy2log[0];
  for (size_t slot = 0; slot < phy2log.size(); ++slot)
    replica_slots_[static_cast<size_t>(phy2log[slot])].push_back(static_cast<int>(slot));
  for (size_t e = 0; e < replica_slots_.size(); ++e)
    if (replica_slots_[e].empty()) throw std::logic_error(fmt::format("expert placement gives expert {} no slot", e));
  slot_gpu_.resize(phy2log.size());
  for (size_t slot = 0; slot < phy2log.size(); ++slot) slot_gpu_[slot] = gpu_of_slot(static_cast<int>(slot));
  replica_runs_.reserve(replica_slots_.size() * static_cast<size_t>(nodes_));
  for (const std::vector<int>& slots : replica_slots_) {
    const std::vector<Run> runs = runs_by_node(slots, [this](int slot) { return gpu_of_slot(slot); });
    replica_runs_.insert(replica_runs_.end(), runs.begin(), runs.end());
  }
}

template <class GpuOf>
std::vector<ExpertLayout::Run> ExpertLayout::runs_by_node(const std::vector<int>& candidates, GpuOf gpu_of) const {
  std::vector<Run> runs(static_cast<size_t>(nodes_), Run{0, static_cast<int32_t>(candidates.size())});
  // Candidates ascend, and so do their GPUs: a node's candidates are one contiguous run.
  for (size_t i = 0; i < candidates.size();) {
    const int node = node_of(gpu_of(candidates[i]));
    size_t end = i;
    while (end < candidates.size() && node_of(gpu_of(candidates[end])) == node) ++end;
    runs[static_cast<size_t>(node)] = Run{static_cast<int32_t>(i), static_cast<int32_t>(end - i)};
    i = end;
  }
  return runs;
}

namespace {
// Appends gpu unless it is there: a token has at most top_k + 1 destinations, so a scan is cheaper
// than sorting them (whose mispredicted branches were half of route_token's time).
void add_distinct(std::vector<int>& gpus, int gpu) {
  for (int g : gpus)
    if (g == gpu) return;
  gpus.push_back(gpu);
}
}  // namespace

int ExpertLayout::target_slot(int expert, int source_gpu, int64_t token) const {
  return slot_from_node(static_cast<size_t>(expert), static_cast<size_t>(node_of(source_gpu)), token);
}

void ExpertLayout::route_token(const int32_t* experts, int k, int source_gpu, int64_t global_token,
                               TokenRoute& out) const {
  out.slots.clear();
  out.slot_gpus.clear();
  out.gpus.clear();
  const auto node = static_cast<size_t>(node_of(source_gpu));
  for (int j = 0; j < k; ++j) {
    const int slot = slot_from_node(static_cast<size_t>(experts[j]), node, global_token);
    const int gpu = slot_gpu_[static_cast<size_t>(slot)];
    out.slots.push_back(slot);
    out.slot_gpus.push_back(gpu);
    add_distinct(out.gpus, gpu);
  }
  out.shared_gpu = shared_gpus_ > 0 ? shared_expert_gpu(source_gpu, global_token) : -1;
  if (out.shared_gpu >= 0) add_distinct(out.gpus, out.shared_gpu);
}

int ExpertLayout::shared_expert_gpu(int source_gpu, int64_t token) const {
  assert(!shared_gpu_list_.empty());
  return pick(shared_gpu_list_, shared_runs_[static_cast<size_t>(node_of(source_gpu))], token);
}

}  // namespace hwlab::workloads

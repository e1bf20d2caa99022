// How a deployment of G logical ranks (the workload's EP GPUs) is played by P physical GPUs.
//
// A workload with more GPUs than present runs "folded": physical GPU p plays the contiguous block of
// logical ranks [first_rank(p), first_rank(p + 1)), rank r living on GPU floor(r * P / G). Contiguous
// blocks keep a node's ranks together, so with P dividing G each physical GPU plays whole nodes
// (dsv3-prefill, G = 32, on 2 GPUs: ranks 0-15 on GPU 0, 16-31 on GPU 1). Traffic between two ranks
// of one physical GPU becomes a local copy; traffic between ranks on different GPUs crosses the real
// link (NVLink in one host, NCCL's transport between hosts). With P == G nothing is folded.
#pragma once

#include <cassert>
#include <cstdint>

namespace hwlab::runtime {

class FoldMap {
 public:
  FoldMap() = default;
  FoldMap(int logical_ranks, int physical_gpus) : ranks_(logical_ranks), gpus_(physical_gpus) {
    assert(logical_ranks >= 1 && physical_gpus >= 1 && physical_gpus <= logical_ranks);
  }

  int logical_ranks() const { return ranks_; }
  int physical_gpus() const { return gpus_; }
  bool folded() const { return ranks_ != gpus_; }

  int gpu_of(int rank) const { return static_cast<int>(static_cast<int64_t>(rank) * gpus_ / ranks_); }
  // The lowest logical rank with gpu_of(rank) == gpu; first_rank(P) == G.
  int first_rank(int gpu) const {
    return static_cast<int>((static_cast<int64_t>(gpu) * ranks_ + gpus_ - 1) / gpus_);
  }
  int ranks_on(int gpu) const { return first_rank(gpu + 1) - first_rank(gpu); }

 private:
  int ranks_ = 1, gpus_ = 1;
};

}  // namespace hwlab::runtime

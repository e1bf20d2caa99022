// Bytes moved by one MoE dispatch and combine, per (source GPU, destination GPU) and link class.
//
// Dispatch sends each token once to every GPU that hosts one of its experts (a GPU with several of
// them gets one copy). Across nodes, with nvlink-forwarding (DeepSeek-V3 prefill), the token crosses
// IB once per destination node, to the GPU with the sender's in-node index, which forwards it over
// NVLink to the other destination GPUs of its node; with direct-ib (decode) it crosses IB once per
// remote destination GPU. Combine is the mirror image: each destination GPU returns one weighted sum
// per token; forwarders reduce their node's sums before the single IB transfer back.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::workloads {

// Dense [source][destination] byte counts.
class TrafficMatrix {
 public:
  explicit TrafficMatrix(int gpus = 0) : gpus_(gpus), bytes_(static_cast<size_t>(gpus) * gpus, 0) {}
  int gpus() const { return gpus_; }
  uint64_t at(int src, int dst) const { return bytes_[index(src, dst)]; }
  void add(int src, int dst, uint64_t bytes) { bytes_[index(src, dst)] += bytes; }
  uint64_t sent(int src) const;
  uint64_t received(int dst) const;
  uint64_t total() const;
  TrafficMatrix& operator+=(const TrafficMatrix& other);

 private:
  size_t index(int src, int dst) const { return static_cast<size_t>(src) * gpus_ + dst; }
  int gpus_;
  std::vector<uint64_t> bytes_;
};

struct MoeTraffic {
  int gpus = 0, gpus_per_node = 0;
  int64_t dispatch_bytes_per_token = 0, combine_bytes_per_token = 0;
  int64_t tokens = 0;  // tokens dispatched, all source GPUs together

  TrafficMatrix dispatch_nvlink, dispatch_ib, combine_nvlink, combine_ib;
  // Token copies whose destination is the sending GPU itself: no link carries them.
  std::vector<uint64_t> dispatch_local_bytes, combine_local_bytes;  // per GPU

  std::vector<int64_t> tokens_received;       // per GPU: distinct tokens it computes for (local included)
  std::vector<int64_t> expert_computations;   // per GPU: token-expert pairs (routed + routed shared)
  std::vector<int64_t> shared_local_tokens;   // per GPU: tokens of the local shared expert (local mode)
  std::vector<int64_t> logical_expert_tokens; // per logical expert
  std::vector<int64_t> slot_tokens;           // per physical slot
  std::vector<int64_t> nodes_per_token;       // histogram: [n] = tokens sent to GPUs on n distinct nodes

  MoeTraffic& operator+=(const MoeTraffic& other);
};

// Traffic of one micro-batch: `tokens_by_gpu[g]` are the tokens GPU g dispatches (TokenRouter).
// Global token index of token t of GPU g is g * tokens_per_gpu + t.
MoeTraffic compute_traffic(const WorkloadConfig& workload, const ExpertLayout& layout,
                           const std::vector<Routing>& tokens_by_gpu);

}  // namespace hwlab::workloads

// What one micro-batch of one MoE layer moves, and where: the dispatch streams of every source GPU
// cut into windows of whole tokens, the combine contributions that mirror them, and the expert work
// each GPU ends up with. Built from the same routing and placement as `hwlab workload traffic`
// (workloads/traffic.h gives the per-pair byte totals of the same plan, and a test checks they agree).
//
// Dispatch from source s:
//  - to a GPU of its own node: one NVLink stream (s -> d) of the tokens d needs;
//  - to another node n with nvlink-forwarding: one IB stream (s -> forwarder f = GPU of n with s's
//    in-node index) of the tokens bound for n, each with the mask of n's GPUs that need it; f keeps
//    its own copies and forwards each window over NVLink;
//  - with direct-ib: one IB stream (s -> d) per remote GPU.
// Combine mirrors it: every GPU returns one weighted sum per token it computed; forwarders join the
// sums of their node window by window, reduce, and send one IB transfer back.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::emulator {

// Tokens sent from `src` to a single GPU `dst` (intra-node NVLink or direct IB).
struct PeerStream {
  int src = 0, dst = 0;
  int tokens = 0;
};

// Tokens sent from `src` over IB to `forwarder` on node `node`, each with the mask of that node's
// GPUs (bit = in-node index) that need it.
struct NodeStream {
  int src = 0, node = 0, forwarder = 0;
  std::vector<uint16_t> masks;  // one per token, in send order
  int tokens() const { return static_cast<int>(masks.size()); }
};

// One GPU's part of combining a forwarded window: `tokens` sums it returns for window `window` of
// `stream` (to the forwarder, or kept when it is the forwarder).
struct Contribution {
  int stream = 0;  // index into PhasePlan::node_streams
  int window = 0;
  int tokens = 0;
};

struct PhasePlan {
  int gpus = 0, gpus_per_node = 0;
  int window_tokens = 0;  // tokens per chunk
  int64_t dispatch_bytes_per_token = 0, combine_bytes_per_token = 0;

  std::vector<PeerStream> nvlink_streams;   // intra-node
  std::vector<PeerStream> direct_streams;   // direct IB
  std::vector<NodeStream> node_streams;     // forwarded IB
  std::vector<std::vector<int>> nvlink_out, direct_out, node_out;  // [src] -> stream indices
  std::vector<std::vector<int>> nvlink_in, direct_in;               // [dst] -> stream indices
  std::vector<std::vector<Contribution>> contributions;            // [gpu] -> forwarded windows it returns
  std::vector<std::vector<int>> window_contributors;  // [stream] flattened per window: GPUs that return sums

  std::vector<int64_t> local_tokens;        // [gpu] tokens a GPU routes to itself (no link)
  std::vector<int64_t> dispatch_expected;   // [gpu] token copies it receives from other GPUs
  std::vector<int64_t> combine_expected;    // [gpu] token sums it receives back from other GPUs
  std::vector<std::vector<int>> slot_tokens;  // [gpu][local slot] tokens per local expert slot
  std::vector<int> shared_tokens;           // [gpu] shared-expert tokens it computes

  int windows(int tokens) const { return (tokens + window_tokens - 1) / window_tokens; }
  // Tokens of window w of a stream of `tokens` tokens.
  int window_size(int tokens, int w) const;
  // Offset of stream `s`'s windows in window_contributors.
  std::vector<int> window_base;
};

// An all-to-all of `send_counts[src * gpus + dst]` elements of `element_bytes` each (nccl-tests'
// alltoall/alltoallv): peers in a node over NVLink, others directly over IB. Runs as a dispatch.
PhasePlan build_collective_plan(const std::vector<uint64_t>& send_counts, int gpus, int gpus_per_node,
                                int element_bytes, int chunk_bytes);

// The plan of one micro-batch: `tokens_by_gpu[g]` are the tokens GPU g dispatches.
PhasePlan build_phase_plan(const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                           const std::vector<workloads::Routing>& tokens_by_gpu, int chunk_bytes);

}  // namespace hwlab::emulator

// From a workload's routing to co-processor programs: one DISPATCH and one COMBINE program for one
// micro-batch of one MoE layer, the routing tables they read, and the windows each queue needs.
//
// Semantics follow workloads/traffic.h exactly, so the executor's byte counters can be held to its
// matrices: a token goes once to each destination GPU (a GPU hosting several of its experts gets one
// copy); with nvlink-forwarding it crosses IB once per remote destination node, to the GPU with the
// sender's in-node index, which forwards it over NVLink (FORWARD); with direct-ib it crosses IB once
// per remote destination GPU (MULTICAST per node). Combine mirrors it: the owner pulls its own node's
// expert outputs (and, with direct-ib, every remote one) over the links, and with forwarding each
// remote node's forwarder first reduces that node's outputs and sends one BF16 row over IB.
//
// Buffers live at the same offsets on every GPU (MoeLayout). Token t of GPU s has the global slot
// s*T + t (T tokens per GPU): its receive row and its expert-output row on every destination.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/memory_init.h"
#include "isa/program.h"
#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::isa::moe {

struct MoeLayout {
  uint64_t dispatch_counter = 0, combine_counter = 8;
  uint64_t dispatch_table = 0, forward_table = 0, final_table = 0;
  uint64_t gathered_table = 0;  // final stage, nvlink-forwarding: the partial entries (after the WAIT)
  uint64_t tokens = 0;      // T dispatch rows (the payload each GPU sends)
  uint64_t received = 0;    // G*T dispatch rows, by slot
  uint64_t expert_out = 0;  // G*T BF16 rows, by slot: the weighted expert outputs y a GPU returns
  uint64_t gather = 0;      // T*nodes BF16 rows on the owner: row t*nodes + n, node n's forwarded sum
  uint64_t staging = 0;     // forward stage: one BF16 row per entry
  uint64_t scratch = 0;     // final stage: T FP32 rows
  uint64_t out = 0;         // final stage: T combined BF16 rows
  uint64_t end = 0;         // first byte past the buffers
};

struct MoePrograms {
  int nodes = 0, gpus_per_node = 0, gpus = 0, tokens_per_gpu = 0, hidden = 0;
  bool forwarding = false;
  uint64_t dispatch_row_bytes = 0;  // the workload's dispatch bytes per token
  uint64_t combine_row_bytes = 0;   // 2 * hidden (BF16)
  MoeLayout layout;
  std::vector<std::vector<int>> destinations;  // [slot] -> destination GPUs (global index), ascending
  Program dispatch;  // per GPU: DISPATCH; WAIT for every sender
  // Per GPU, direct-ib: COMBINE final. nvlink-forwarding: COMBINE forward; COMBINE final over its own
  // node's rows; WAIT for every forwarder; COMBINE final over the gathered node sums. A token's FP32
  // sum runs over its own node's rows first, then the other nodes in ascending order.
  Program combine;
  MemoryImage image; // routing tables and windows (queue q0 of every GPU)
};

// GPU g of the deployment (node-major: g = node * gpus_per_node + local).
GpuId gpu_id(int g, int gpus_per_node);

// Throws UserError when the deployment does not fit the ISA (more than 8 GPUs per node, ...).
MoePrograms generate_moe_programs(const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                                  const std::vector<workloads::Routing>& tokens_by_gpu);

// One program that runs both: per GPU, the dispatch descriptors then the combine descriptors.
Program merged_program(const MoePrograms& programs);

// Stand-ins for the data (`hwlab isa moe`, examples): token rows on every GPU (BF16 values
// ((7s + 3t + i) mod 17 - 8) / 4, in the dispatch payload type) and, on every destination of a token,
// its expert-output row (BF16 (d + 1) * (i mod 4 + 1) / 8 for GPU d), so that every combined sum is
// exact.
std::vector<MemoryRegion> example_data(const MoePrograms& programs);

// The memory image as YAML for `hwlab isa run --memory` (u32 lists, u8 when a region is not whole words).
std::string memory_image_yaml(const MemoryImage& image);

}  // namespace hwlab::isa::moe

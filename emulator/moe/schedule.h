// The MoE layer as tasks on two in-order streams per GPU, as DeepSeek-V3 overlaps them (report
// §3.4): prefill runs attention and experts of one micro-batch while the other's dispatch and
// combine are in flight (stream A: compute, stream B: communication); decode overlaps the attention
// of one micro-batch with dispatch + experts + combine of the other (stream B: the MoE part, on a
// small share of the SMs). Dependencies within a micro-batch: attention -> dispatch -> experts ->
// combine -> next layer's attention.
#pragma once

#include <string>
#include <vector>

#include "workloads/workload_config.h"

namespace hwlab::emulator {

enum class TaskKind { attention, dispatch, experts, combine };
const char* task_name(TaskKind kind);

struct Task {
  TaskKind kind;
  int layer = 0, micro_batch = 0;
};

struct StreamPlan {
  std::vector<Task> a, b;  // in issue order
};

// `comm_only`: one dispatch and one combine of layer 0, micro-batch 0, nothing else (communication
// benchmarks, DeepEP-style).
StreamPlan make_schedule(workloads::Phase phase, int layers, int micro_batches, bool comm_only);

// The task a task waits for, besides its stream predecessor; false when it has none (in a
// comm-only schedule the stream order is the only dependency).
bool dependency(const Task& task, bool comm_only, Task* before);

}  // namespace hwlab::emulator

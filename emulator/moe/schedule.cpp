#include "emulator/moe/schedule.h"

namespace hwlab::emulator {

const char* task_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::attention: return "attention";
    case TaskKind::dispatch: return "dispatch";
    case TaskKind::experts: return "experts";
    case TaskKind::combine: break;
  }
  return "combine";
}

StreamPlan make_schedule(workloads::Phase phase, int layers, int micro_batches, bool comm_only) {
  StreamPlan s;
  if (comm_only) {
    s.b = {{TaskKind::dispatch, 0, 0}, {TaskKind::combine, 0, 0}};
    return s;
  }
  for (int l = 0; l < layers; ++l) {
    if (phase == workloads::Phase::prefill) {
      for (int m = 0; m < micro_batches; ++m) s.a.push_back({TaskKind::attention, l, m});
      for (int m = 0; m < micro_batches; ++m) s.a.push_back({TaskKind::experts, l, m});
      for (int m = 0; m < micro_batches; ++m) s.b.push_back({TaskKind::dispatch, l, m});
      for (int m = 0; m < micro_batches; ++m) s.b.push_back({TaskKind::combine, l, m});
    } else {
      for (int m = 0; m < micro_batches; ++m) {
        s.a.push_back({TaskKind::attention, l, m});
        s.b.push_back({TaskKind::dispatch, l, m});
        s.b.push_back({TaskKind::experts, l, m});
        s.b.push_back({TaskKind::combine, l, m});
      }
    }
  }
  return s;
}

bool dependency(const Task& t, bool comm_only, Task* before) {
  if (comm_only) return false;
  switch (t.kind) {
    case TaskKind::attention:
      if (t.layer == 0) return false;
      *before = {TaskKind::combine, t.layer - 1, t.micro_batch};
      return true;
    case TaskKind::dispatch: *before = {TaskKind::attention, t.layer, t.micro_batch}; return true;
    case TaskKind::experts: *before = {TaskKind::dispatch, t.layer, t.micro_batch}; return true;
    case TaskKind::combine: *before = {TaskKind::experts, t.layer, t.micro_batch}; return true;
  }
  return false;
}

}  // namespace hwlab::emulator

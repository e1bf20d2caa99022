// Running one emulation and getting its result in the shared schema. SystemC elaborates and runs a
// model once per process, so each run happens in a child process (fork); the parent receives the
// result (and the trace) through a pipe. Errors in the child come back as the same exceptions.
#pragma once

#include <string>

#include "common/result.h"
#include "emulator/cluster.h"
#include "workloads/run_configs.h"

namespace hwlab::emulator {

struct EmulationOutput {
  Result result;
  std::string trace;  // Perfetto JSON, when asked for
};

// `run` must hold a platform and a workload (the proposal is optional).
EmulationOutput emulate(const workloads::RunConfigs& run, const EmulationOptions& options, bool want_trace);

}  // namespace hwlab::emulator

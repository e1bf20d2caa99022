// `hwlab measure` in a build without CUDA: the command exists, checks its arguments, and says
// plainly that there is no GPU to measure on (exit 2, like any other unusable input).
#include <cstdio>

#include "common/error.h"
#include "runtime/collective_plan.h"
#include "runtime/measure.h"

namespace hwlab::runtime {

namespace {
int no_device() {
  std::fprintf(stderr, "hwlab: error: no CUDA device (this hwlab was built without CUDA)\n");
  return kExitUserError;
}
}  // namespace

int run_measure_collective(const CollectiveOptions& o) {
  check_common(o.common);
  alltoall_sizes(o.op, 1024, 1, 4);
  parse_size_sweep(o.bytes);
  return no_device();
}

int run_measure_moe(const MoeOptions& o) {
  check_common(o.common);
  parse_comm_mode(o.comm);
  if (!o.comm_sms.empty()) parse_sm_counts(o.comm_sms);
  return no_device();
}

}  // namespace hwlab::runtime

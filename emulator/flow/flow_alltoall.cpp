#include "emulator/flow/flow_alltoall.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::emulator {

FlowEstimate estimate_alltoall_flow(const config::PlatformConfig& p, const std::optional<config::ProposalConfig>& proposal,
                                    const FlowExchange& x) {
  if (!x.send_counts || x.gpus < 2 || x.gpus_per_node < 1 || x.element_bytes < 1)
    throw UserError(fmt::format("flow model: malformed exchange ({} GPUs, {} per node)", x.gpus, x.gpus_per_node));
  const FlowNetwork net(p, proposal, x.gpus, x.gpus_per_node, x.comm_sms);
  FlowLoads loads(net);
  // The collective plan's windows (comm_plan.h): chunk_bytes / element_bytes elements each.
  const uint64_t window = std::max<uint64_t>(1, static_cast<uint64_t>(p.emulation.chunk_bytes / x.element_bytes));
  const auto eb = static_cast<uint64_t>(x.element_bytes);
  std::vector<uint64_t> row(static_cast<size_t>(x.gpus));
  for (int s = 0; s < x.gpus; ++s) {
    x.send_counts(s, row.data());
    const int node = s / x.gpus_per_node;
    for (int d = 0; d < x.gpus; ++d) {
      const uint64_t c = row[static_cast<size_t>(d)];
      if (c == 0 || d == s) continue;  // the diagonal is the rank's own share: no link
      const bool nvlink = d / x.gpus_per_node == node;
      loads.transfer(s, d, c * eb, (c + window - 1) / window, std::min(c, window) * eb,
                     nvlink ? FlowRole::send_nvlink : FlowRole::send_ib, FlowRole::receive,
                     nvlink ? FlowPath::nvlink : FlowPath::ib, true);
    }
  }
  return loads.evaluate();
}

}  // namespace hwlab::emulator

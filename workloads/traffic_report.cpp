#include "workloads/traffic_report.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "common/config/print.h"
#include "workloads/token_router.h"

namespace hwlab::workloads {

namespace {

struct Spread {
  double max = 0, mean = 0;
  double imbalance() const { return mean > 0 ? max / mean : 0.0; }
};

template <class T>
Spread spread(const std::vector<T>& v) {
  Spread s;
  if (v.empty()) return s;
  s.max = static_cast<double>(*std::max_element(v.begin(), v.end()));
  s.mean = static_cast<double>(std::accumulate(v.begin(), v.end(), 0.0, [](double a, T b) {
             return a + static_cast<double>(b);
           })) /
           static_cast<double>(v.size());
  return s;
}

// Per-GPU send and receive bytes of one matrix.
struct Directional {
  std::vector<uint64_t> send, recv;
};
Directional per_gpu(const TrafficMatrix& m) {
  Directional d;
  for (int g = 0; g < m.gpus(); ++g) {
    d.send.push_back(m.sent(g));
    d.recv.push_back(m.received(g));
  }
  return d;
}

std::string megabytes(double bytes) { return fmt::format("{:.2f}", bytes / 1e6); }

const char* policy_name(const TrafficAnalysis& a) {
  return a.contiguous_placement ? "contiguous" : to_string(a.placement_policy);
}

}  // namespace

TrafficAnalysis analyze_traffic(const WorkloadConfig& workload, int layer) {
  if (layer < 0 || layer >= workload.model.moe_layers())
    throw UserError(fmt::format("--layer {}: expected an MoE layer in [0, {})", layer, workload.model.moe_layers()));
  TokenRouter router(workload);
  ExpertLayout layout(workload, router.history_loads(layer));
  TrafficAnalysis a;
  a.workload = workload;
  a.layer = layer;
  a.placement_policy = layout.placement().policy;
  a.contiguous_placement = workload.placement.policy == PlacementPolicy::contiguous;
  for (int mb = 0; mb < workload.deployment.micro_batches; ++mb) {
    MoeTraffic t = compute_traffic(workload, layout, router.route_micro_batch(layer, mb));
    if (mb == 0) a.traffic = std::move(t);
    else a.traffic += t;
  }
  return a;
}

std::string format_traffic(const TrafficAnalysis& a, bool show_per_gpu) {
  const WorkloadConfig& w = a.workload;
  const MoeTraffic& t = a.traffic;
  std::string out;
  out += fmt::format("workload {}: {} {}, {} nodes x {} GPUs, EP{}, {} expert slots per GPU ({} placement)\n", w.name,
                     w.model.name, config::choice_name(phase_choices(), w.deployment.phase), w.deployment.nodes,
                     w.deployment.gpus_per_node, w.deployment.expert_parallel, w.experts_per_gpu(), policy_name(a));
  out += fmt::format("MoE layer {} of {}: {} micro-batch(es) x {} tokens per GPU = {} tokens; top-{} of {} experts, "
                     "at most {} groups per token; internode path {}\n",
                     a.layer, w.model.moe_layers(), w.deployment.micro_batches, w.deployment.tokens_per_gpu, t.tokens,
                     w.model.experts_per_token, w.model.routed_experts, w.model.max_groups_per_token,
                     config::choice_name(internode_path_choices(), w.deployment.internode_path));
  out += fmt::format("payload per token: dispatch {} B, combine {} B\n\n", t.dispatch_bytes_per_token,
                     t.combine_bytes_per_token);

  const Directional dib = per_gpu(t.dispatch_ib), dnv = per_gpu(t.dispatch_nvlink);
  const Directional cib = per_gpu(t.combine_ib), cnv = per_gpu(t.combine_nvlink);
  out += fmt::format("{:<34}{:>14}{:>14}\n", "bytes (MB)", "dispatch", "combine");
  auto row = [&](const std::string& name, double d, double c) {
    out += fmt::format("{:<34}{:>14}{:>14}\n", name, megabytes(d), megabytes(c));
  };
  auto sum = [](const std::vector<uint64_t>& v) { return static_cast<double>(std::accumulate(v.begin(), v.end(), uint64_t{0})); };
  row("IB, all GPUs", static_cast<double>(t.dispatch_ib.total()), static_cast<double>(t.combine_ib.total()));
  row("NVLink, all GPUs", static_cast<double>(t.dispatch_nvlink.total()), static_cast<double>(t.combine_nvlink.total()));
  row("local (no link), all GPUs", sum(t.dispatch_local_bytes), sum(t.combine_local_bytes));
  row("IB send per GPU, max", spread(dib.send).max, spread(cib.send).max);
  row("IB send per GPU, mean", spread(dib.send).mean, spread(cib.send).mean);
  row("IB receive per GPU, max", spread(dib.recv).max, spread(cib.recv).max);
  row("IB receive per GPU, mean", spread(dib.recv).mean, spread(cib.recv).mean);
  row("NVLink send per GPU, max", spread(dnv.send).max, spread(cnv.send).max);
  row("NVLink send per GPU, mean", spread(dnv.send).mean, spread(cnv.send).mean);
  row("NVLink receive per GPU, max", spread(dnv.recv).max, spread(cnv.recv).max);
  row("NVLink receive per GPU, mean", spread(dnv.recv).mean, spread(cnv.recv).mean);

  out += "\nnodes a token is sent to (its own node included when a target is there):";
  for (size_t n = 1; n < t.nodes_per_token.size(); ++n)
    if (t.nodes_per_token[n] > 0)
      out += fmt::format("  {}: {:.1f}%", n, 100.0 * static_cast<double>(t.nodes_per_token[n]) / static_cast<double>(t.tokens));
  out += "\n\nload imbalance (max / mean):\n";
  auto imb = [&](const std::string& name, Spread s, const char* unit) {
    out += fmt::format("  {:<44}{:>7.3f}   (max {:.0f}, mean {:.1f} {})\n", name, s.imbalance(), s.max, s.mean, unit);
  };
  imb("logical experts (tokens per expert)", spread(t.logical_expert_tokens), "tokens");
  imb("physical expert slots (after placement)", spread(t.slot_tokens), "tokens");
  std::vector<int64_t> routed_gpu(t.expert_computations.begin(),
                                  t.expert_computations.begin() + w.deployment.routed_expert_gpus());
  imb("GPUs hosting routed experts (token-expert pairs)", spread(routed_gpu), "pairs");
  imb("GPUs, IB dispatch receive", spread(dib.recv), "bytes");

  if (show_per_gpu) {
    out += fmt::format("\n{:>5}{:>5}{:>13}{:>13}{:>13}{:>13}{:>13}{:>13}{:>12}{:>12}\n", "gpu", "node", "disp_ib_tx",
                       "disp_ib_rx", "disp_nvl_tx", "disp_nvl_rx", "comb_ib_tx", "comb_nvl_tx", "tokens_rx", "pairs");
    out += fmt::format("{:>5}{:>5}{:>13}{:>13}{:>13}{:>13}{:>13}{:>13}{:>12}{:>12}\n", "", "", "(MB)", "(MB)", "(MB)",
                       "(MB)", "(MB)", "(MB)", "", "");
    for (int g = 0; g < t.gpus; ++g) {
      const auto i = static_cast<size_t>(g);
      out += fmt::format("{:>5}{:>5}{:>13}{:>13}{:>13}{:>13}{:>13}{:>13}{:>12}{:>12}\n", g, g / t.gpus_per_node,
                         megabytes(static_cast<double>(dib.send[i])), megabytes(static_cast<double>(dib.recv[i])),
                         megabytes(static_cast<double>(dnv.send[i])), megabytes(static_cast<double>(dnv.recv[i])),
                         megabytes(static_cast<double>(cib.send[i])), megabytes(static_cast<double>(cnv.send[i])),
                         t.tokens_received[i], t.expert_computations[i]);
    }
  }
  return out;
}

nlohmann::ordered_json traffic_json(const TrafficAnalysis& a, bool matrices) {
  const MoeTraffic& t = a.traffic;
  using J = nlohmann::ordered_json;
  J j;
  j["schema"] = "hwlab.traffic/1";
  j["workload"] = config::to_json(a.workload);
  j["layer"] = a.layer;
  j["placement_policy"] = policy_name(a);
  j["tokens"] = t.tokens;
  j["dispatch_bytes_per_token"] = t.dispatch_bytes_per_token;
  j["combine_bytes_per_token"] = t.combine_bytes_per_token;
  auto phase = [&](const TrafficMatrix& ib, const TrafficMatrix& nvl, const std::vector<uint64_t>& local) {
    const Directional i = per_gpu(ib), n = per_gpu(nvl);
    J p;
    p["ib_bytes"] = ib.total();
    p["nvlink_bytes"] = nvl.total();
    p["local_bytes"] = std::accumulate(local.begin(), local.end(), uint64_t{0});
    p["per_gpu"] = {{"ib_send_bytes", i.send}, {"ib_recv_bytes", i.recv}, {"nvlink_send_bytes", n.send},
                    {"nvlink_recv_bytes", n.recv}, {"local_bytes", local}};
    if (matrices) {
      J ibm = J::array(), nvm = J::array();
      for (int s = 0; s < ib.gpus(); ++s) {
        J ir = J::array(), nr = J::array();
        for (int d = 0; d < ib.gpus(); ++d) {
          ir.push_back(ib.at(s, d));
          nr.push_back(nvl.at(s, d));
        }
        ibm.push_back(std::move(ir));
        nvm.push_back(std::move(nr));
      }
      p["ib_matrix_bytes"] = std::move(ibm);
      p["nvlink_matrix_bytes"] = std::move(nvm);
    }
    return p;
  };
  j["dispatch"] = phase(t.dispatch_ib, t.dispatch_nvlink, t.dispatch_local_bytes);
  j["combine"] = phase(t.combine_ib, t.combine_nvlink, t.combine_local_bytes);
  j["per_gpu"] = {{"tokens_received", t.tokens_received},
                  {"expert_computations", t.expert_computations},
                  {"shared_local_tokens", t.shared_local_tokens}};
  j["experts"] = {{"logical_tokens", t.logical_expert_tokens}, {"slot_tokens", t.slot_tokens}};
  j["nodes_per_token"] = t.nodes_per_token;
  std::vector<int64_t> routed_gpu(t.expert_computations.begin(),
                                  t.expert_computations.begin() + a.workload.deployment.routed_expert_gpus());
  j["imbalance_max_over_mean"] = {{"logical_experts", spread(t.logical_expert_tokens).imbalance()},
                                  {"expert_slots", spread(t.slot_tokens).imbalance()},
                                  {"routed_expert_gpus", spread(routed_gpu).imbalance()},
                                  {"ib_dispatch_recv", spread(per_gpu(t.dispatch_ib).recv).imbalance()}};
  return j;
}

}  // namespace hwlab::workloads

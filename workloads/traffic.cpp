#include "workloads/traffic.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "common/error.h"

namespace hwlab::workloads {

uint64_t TrafficMatrix::sent(int src) const {
  uint64_t s = 0;
  for (int d = 0; d < gpus_; ++d) s += at(src, d);
  return s;
}

uint64_t TrafficMatrix::received(int dst) const {
  uint64_t s = 0;
  for (int g = 0; g < gpus_; ++g) s += at(g, dst);
  return s;
}

uint64_t TrafficMatrix::total() const {
  uint64_t s = 0;
  for (uint64_t b : bytes_) s += b;
  return s;
}

TrafficMatrix& TrafficMatrix::operator+=(const TrafficMatrix& other) {
  assert(other.gpus_ == gpus_);
  for (size_t i = 0; i < bytes_.size(); ++i) bytes_[i] += other.bytes_[i];
  return *this;
}

namespace {

template <class T>
void add_into(std::vector<T>& a, const std::vector<T>& b) {
  assert(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
}

}  // namespace

MoeTraffic& MoeTraffic::operator+=(const MoeTraffic& o) {
  assert(o.gpus == gpus);
  tokens += o.tokens;
  dispatch_nvlink += o.dispatch_nvlink;
  dispatch_ib += o.dispatch_ib;
  combine_nvlink += o.combine_nvlink;
  combine_ib += o.combine_ib;
  add_into(dispatch_local_bytes, o.dispatch_local_bytes);
  add_into(combine_local_bytes, o.combine_local_bytes);
  add_into(tokens_received, o.tokens_received);
  add_into(expert_computations, o.expert_computations);
  add_into(shared_local_tokens, o.shared_local_tokens);
  add_into(logical_expert_tokens, o.logical_expert_tokens);
  add_into(slot_tokens, o.slot_tokens);
  add_into(nodes_per_token, o.nodes_per_token);
  return *this;
}

MoeTraffic compute_traffic(const WorkloadConfig& w, const ExpertLayout& layout,
                           const std::vector<Routing>& tokens_by_gpu) {
  const int gpus = w.deployment.gpus(), per_node = w.deployment.gpus_per_node, nodes = w.deployment.nodes;
  if (static_cast<int>(tokens_by_gpu.size()) != gpus)
    throw UserError(fmt::format("routing for {} source GPUs, the deployment has {}", tokens_by_gpu.size(), gpus));
  const auto G = static_cast<size_t>(gpus);
  MoeTraffic t;
  t.gpus = gpus;
  t.gpus_per_node = per_node;
  t.dispatch_bytes_per_token = w.model.dispatch_bytes_per_token();
  t.combine_bytes_per_token = w.model.combine_bytes_per_token();
  t.dispatch_nvlink = t.dispatch_ib = t.combine_nvlink = t.combine_ib = TrafficMatrix(gpus);
  t.dispatch_local_bytes.assign(G, 0);
  t.combine_local_bytes.assign(G, 0);
  t.tokens_received.assign(G, 0);
  t.expert_computations.assign(G, 0);
  t.shared_local_tokens.assign(G, 0);
  t.logical_expert_tokens.assign(static_cast<size_t>(w.model.routed_experts), 0);
  t.slot_tokens.assign(static_cast<size_t>(w.physical_experts()), 0);
  t.nodes_per_token.assign(static_cast<size_t>(nodes) + 1, 0);

  const auto D = static_cast<uint64_t>(t.dispatch_bytes_per_token);
  const auto C = static_cast<uint64_t>(t.combine_bytes_per_token);
  const bool forwarding = w.deployment.internode_path == InternodePath::nvlink_forwarding;

  workloads::TokenRoute route;
  std::vector<char> node_reached(static_cast<size_t>(nodes));
  for (int src = 0; src < gpus; ++src) {
    const Routing& r = tokens_by_gpu[static_cast<size_t>(src)];
    if (r.top_k != w.model.experts_per_token || r.num_experts != w.model.routed_experts)
      throw UserError(fmt::format("routing of GPU {} has top-{} of {} experts; the model has top-{} of {}", src,
                                  r.top_k, r.num_experts, w.model.experts_per_token, w.model.routed_experts));
    const int src_node = layout.node_of(src), src_local = src % per_node;
    for (int tok = 0; tok < r.num_tokens; ++tok) {
      const int64_t global = static_cast<int64_t>(src) * r.num_tokens + tok;
      layout.route_token(&r.experts[static_cast<size_t>(tok) * r.top_k], r.top_k, src, global, route);
      for (int j = 0; j < r.top_k; ++j) {
        const int slot = route.slots[static_cast<size_t>(j)];
        ++t.logical_expert_tokens[static_cast<size_t>(r.expert(tok, j))];
        ++t.slot_tokens[static_cast<size_t>(slot)];
        ++t.expert_computations[static_cast<size_t>(route.slot_gpus[static_cast<size_t>(j)])];
      }
      if (route.shared_gpu >= 0) ++t.expert_computations[static_cast<size_t>(route.shared_gpu)];
      else ++t.shared_local_tokens[static_cast<size_t>(src)];
      const std::vector<int>& targets = route.gpus;

      std::fill(node_reached.begin(), node_reached.end(), 0);
      for (int dst : targets) {
        ++t.tokens_received[static_cast<size_t>(dst)];
        const int dst_node = layout.node_of(dst);
        node_reached[static_cast<size_t>(dst_node)] = 1;
        if (dst == src) {
          t.dispatch_local_bytes[static_cast<size_t>(src)] += D;
          t.combine_local_bytes[static_cast<size_t>(src)] += C;
        } else if (dst_node == src_node) {
          t.dispatch_nvlink.add(src, dst, D);
          t.combine_nvlink.add(dst, src, C);
        } else if (!forwarding) {
          t.dispatch_ib.add(src, dst, D);
          t.combine_ib.add(dst, src, C);
        } else {
          const int forwarder = dst_node * per_node + src_local;
          if (dst != forwarder) {
            t.dispatch_nvlink.add(forwarder, dst, D);
            t.combine_nvlink.add(dst, forwarder, C);
          }
        }
      }
      int reached = 0;
      for (int n = 0; n < nodes; ++n) {
        if (!node_reached[static_cast<size_t>(n)]) continue;
        ++reached;
        if (forwarding && n != src_node) {
          // One IB crossing per remote node, to (and back from) the forwarder.
          const int forwarder = n * per_node + src_local;
          t.dispatch_ib.add(src, forwarder, D);
          t.combine_ib.add(forwarder, src, C);
        }
      }
      ++t.nodes_per_token[static_cast<size_t>(reached)];
      ++t.tokens;
    }
  }
  return t;
}

}  // namespace hwlab::workloads

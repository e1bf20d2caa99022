#include "isa/moe/moe_check.h"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "isa/executor.h"
#include "isa/numerics/formats.h"
#include "isa/rows.h"
#include "workloads/traffic.h"

namespace hwlab::isa::moe {

namespace {

using workloads::ExpertLayout;
using workloads::InternodePath;
using workloads::Routing;
using workloads::TrafficMatrix;
using workloads::WorkloadConfig;

constexpr size_t kMaxFindings = 8;

// A token's destination GPUs straight from the placement (workloads/traffic.cpp's rule).
std::vector<int> reference_destinations(const WorkloadConfig& w, const ExpertLayout& layout, const Routing& r, int src,
                                        int t) {
  const int64_t global = static_cast<int64_t>(src) * r.num_tokens + t;
  std::vector<int> d;
  for (int j = 0; j < r.top_k; ++j) d.push_back(layout.gpu_of_slot(layout.target_slot(r.expert(t, j), src, global)));
  if (w.deployment.shared_expert == workloads::SharedExpertMode::routed) d.push_back(layout.shared_expert_gpu(src, global));
  std::sort(d.begin(), d.end());
  d.erase(std::unique(d.begin(), d.end()), d.end());
  return d;
}

uint16_t bf16_at(const std::vector<uint8_t>& b, size_t i) {
  return static_cast<uint16_t>(b[2 * i] | b[2 * i + 1] << 8);
}

TrafficMatrix matrix_of(const PairBytes& pairs, int gpus, int per_node) {
  TrafficMatrix m(gpus);
  for (const auto& [ends, bytes] : pairs)
    m.add(static_cast<int>(ends.first.node) * per_node + static_cast<int>(ends.first.gpu),
          static_cast<int>(ends.second.node) * per_node + static_cast<int>(ends.second.gpu), bytes);
  return m;
}

void compare(const TrafficMatrix& got, const TrafficMatrix& want, const char* what, MoeCheck& c) {
  for (int s = 0; s < want.gpus(); ++s)
    for (int d = 0; d < want.gpus(); ++d)
      if (got.at(s, d) != want.at(s, d)) {
        ++c.byte_mismatches;
        if (c.findings.size() < kMaxFindings)
          c.findings.push_back(fmt::format("{}: GPU {} -> {}: executor moved {} bytes, traffic model {}", what, s, d,
                                           got.at(s, d), want.at(s, d)));
      }
}

void note(MoeCheck& c, std::string text) {
  if (c.findings.size() < kMaxFindings) c.findings.push_back(std::move(text));
}

}  // namespace

std::string MoeCheck::summary() const {
  std::string s = fmt::format(
      "{} tokens, {} deliveries ({} wrong), {} wrong destination lists, {} combined rows ({} wrong elements), "
      "{} GPU pairs with wrong bytes, {} descriptors",
      tokens, deliveries, wrong_deliveries, wrong_destination_lists, combined_rows, wrong_combined_elements,
      byte_mismatches, descriptors);
  for (const std::string& f : findings) s += "\n  " + f;
  return s;
}

MoeCheck run_and_check_moe(const WorkloadConfig& w, const ExpertLayout& layout, const std::vector<Routing>& routing,
                           const MoeCheckOptions& options) {
  const MoePrograms m = generate_moe_programs(w, layout, routing);
  const int G = m.gpus, P = m.gpus_per_node, T = m.tokens_per_gpu, H = m.hidden;
  const uint64_t D = m.dispatch_row_bytes, C = m.combine_row_bytes;
  const bool forwarding = w.deployment.internode_path == InternodePath::nvlink_forwarding;
  const Dtype payload_type = D == C ? Dtype::bf16 : Dtype::e4m3s;
  MoeCheck c;
  c.tokens = static_cast<int64_t>(G) * T;
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 2.0f);

  Memory memory;
  apply(m.image, memory);
  // Token rows: random values quantized to the dispatch payload (BF16, or E4M3 with 1x128 scales).
  std::vector<std::vector<uint8_t>> payload(static_cast<size_t>(G) * static_cast<size_t>(T));
  std::vector<float> row(static_cast<size_t>(H));
  for (int s = 0; s < G; ++s)
    for (int t = 0; t < T; ++t) {
      for (float& x : row) x = normal(rng);
      auto& p = payload[static_cast<size_t>(s) * T + t];
      p.resize(D);
      const std::string err = store_row(payload_type, row.data(), static_cast<uint64_t>(H), p.data());
      if (!err.empty()) throw std::logic_error("moe check: " + err);
      memory.write(gpu_id(s, P), m.layout.tokens + static_cast<uint64_t>(t) * D, p);
    }

  Executor dispatch(memory, m.image.windows);
  dispatch.run(m.dispatch);
  c.dispatch = dispatch.counters();
  if (options.after_dispatch) options.after_dispatch(memory, m);

  const bool scan = options.scan_strays == MoeCheckOptions::Scan::always ||
                    (options.scan_strays == MoeCheckOptions::Scan::automatic &&
                     static_cast<uint64_t>(G) * static_cast<uint64_t>(G) * static_cast<uint64_t>(T) <= (uint64_t{1} << 22));
  const std::vector<uint8_t> zeros(D, 0);
  for (int s = 0; s < G; ++s)
    for (int t = 0; t < T; ++t) {
      const size_t slot = static_cast<size_t>(s) * T + t;
      const std::vector<int> dst = reference_destinations(w, layout, routing[static_cast<size_t>(s)], s, t);
      if (m.destinations[slot] != dst) {
        ++c.wrong_destination_lists;
        note(c, fmt::format("GPU {} token {}: generated destination list differs from the placement", s, t));
      }
      const uint64_t at = m.layout.received + slot * D;
      c.deliveries += static_cast<int64_t>(dst.size());
      for (int d : dst)
        if (memory.read(gpu_id(d, P), at, D) != payload[slot]) {
          ++c.wrong_deliveries;
          note(c, fmt::format("GPU {} token {}: the copy at GPU {} is missing or corrupt", s, t, d));
        }
      if (scan)
        for (int d = 0; d < G; ++d)
          if (!std::binary_search(dst.begin(), dst.end(), d) && memory.read(gpu_id(d, P), at, D) != zeros) {
            ++c.wrong_deliveries;
            note(c, fmt::format("GPU {} token {}: a stray copy at GPU {}", s, t, d));
          }
    }
  const workloads::MoeTraffic traffic = workloads::compute_traffic(w, layout, routing);
  compare(matrix_of(c.dispatch.data_pairs[1], G, P), traffic.dispatch_nvlink, "dispatch NVLink", c);
  compare(matrix_of(c.dispatch.data_pairs[2], G, P), traffic.dispatch_ib, "dispatch IB", c);
  for (int d = 0; d < G; ++d) {
    const auto it = c.dispatch.data_pairs[0].find({gpu_id(d, P), gpu_id(d, P)});
    const uint64_t local = it == c.dispatch.data_pairs[0].end() ? 0 : it->second;
    if (local != traffic.dispatch_local_bytes[static_cast<size_t>(d)]) {
      ++c.byte_mismatches;
      note(c, fmt::format("dispatch local: GPU {} copied {} bytes to itself, traffic model {}", d, local,
                          traffic.dispatch_local_bytes[static_cast<size_t>(d)]));
    }
  }

  // Expert outputs y: random BF16 rows per (destination, slot).
  std::map<std::pair<int, size_t>, std::vector<float>> y;
  for (size_t slot = 0; slot < payload.size(); ++slot)
    for (int d : m.destinations[slot]) {
      std::vector<float>& v = y[{d, slot}];
      v.reserve(static_cast<size_t>(H));
      for (int i = 0; i < H; ++i) v.push_back(numerics::bf16_to_float(numerics::float_to_bf16(normal(rng))));
      memory.write(gpu_id(d, P), m.layout.expert_out + slot * C, bf16_row(v));
    }

  Executor combine(memory, m.image.windows);
  combine.run(m.combine);
  c.combine = combine.counters();

  // Reference: the own node first, then the other nodes in ascending order; the own node's rows one
  // by one (every row with direct IB), a forwarded node's rows as one BF16-rounded sum; FP32
  // throughout, one final BF16 rounding.
  for (int s = 0; s < G; ++s)
    for (int t = 0; t < T; ++t) {
      const size_t slot = static_cast<size_t>(s) * T + t;
      std::vector<int> dst = m.destinations[slot];
      std::stable_partition(dst.begin(), dst.end(), [&](int d) { return d / P == s / P; });
      std::vector<float> acc;
      for (size_t i = 0; i < dst.size();) {
        const int node = dst[i] / P;
        size_t j = i;
        while (j < dst.size() && dst[j] / P == node) ++j;
        std::vector<std::vector<float>> terms;
        if (forwarding && node != s / P) {
          std::vector<float> sum = y[{dst[i], slot}];
          for (size_t k = i + 1; k < j; ++k)
            for (size_t e = 0; e < sum.size(); ++e) sum[e] += y[{dst[k], slot}][e];
          for (float& x : sum) x = numerics::bf16_to_float(numerics::float_to_bf16(x));
          terms.push_back(std::move(sum));
        } else {
          for (size_t k = i; k < j; ++k) terms.push_back(y[{dst[k], slot}]);
        }
        for (auto& term : terms) {
          if (acc.empty()) {
            acc = std::move(term);
          } else {
            for (size_t e = 0; e < acc.size(); ++e) acc[e] += term[e];
          }
        }
        i = j;
      }
      if (acc.empty()) continue;  // a token with no destination (cannot happen with top-k >= 1)
      ++c.combined_rows;
      const std::vector<uint8_t> got = memory.read(gpu_id(s, P), m.layout.out + static_cast<uint64_t>(t) * C, C);
      int64_t wrong = 0;
      for (size_t e = 0; e < acc.size(); ++e)
        if (bf16_at(got, e) != numerics::float_to_bf16(acc[e])) ++wrong;
      if (wrong > 0) {
        c.wrong_combined_elements += wrong;
        note(c, fmt::format("GPU {} token {}: {} combined elements differ from the reference", s, t, wrong));
      }
    }
  compare(matrix_of(c.combine.data_pairs[1], G, P), traffic.combine_nvlink, "combine NVLink", c);
  compare(matrix_of(c.combine.data_pairs[2], G, P), traffic.combine_ib, "combine IB", c);
  c.descriptors = c.dispatch.steps + c.combine.steps;
  return c;
}

}  // namespace hwlab::isa::moe

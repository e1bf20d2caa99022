#include "isa/moe/moe_programs.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "isa/routing_table.h"
#include "isa/rows.h"

namespace hwlab::isa::moe {
namespace {

using workloads::InternodePath;
using workloads::SharedExpertMode;

uint64_t align_page(uint64_t x) { return (x + 4095) / 4096 * 4096; }

uint64_t add(Instruction& insn, const char* name, uint64_t v) {
  insn.set(name, v);
  return v;
}

// Destination GPUs of every token, distinct and ascending, by slot (as workloads/traffic.cpp).
std::vector<std::vector<int>> destinations_of(const workloads::WorkloadConfig& w, const workloads::ExpertLayout& layout,
                                              const std::vector<workloads::Routing>& tokens_by_gpu) {
  const int T = w.deployment.tokens_per_gpu;
  std::vector<std::vector<int>> out;
  for (int src = 0; src < static_cast<int>(tokens_by_gpu.size()); ++src) {
    const workloads::Routing& r = tokens_by_gpu[static_cast<size_t>(src)];
    if (r.num_tokens != T)
      throw UserError(fmt::format("routing of GPU {} has {} tokens, the deployment {}", src, r.num_tokens, T));
    for (int t = 0; t < T; ++t) {
      const int64_t global = static_cast<int64_t>(src) * T + t;
      std::vector<int> d;
      for (int j = 0; j < r.top_k; ++j) d.push_back(layout.gpu_of_slot(layout.target_slot(r.expert(t, j), src, global)));
      if (w.deployment.shared_expert == SharedExpertMode::routed) d.push_back(layout.shared_expert_gpu(src, global));
      std::sort(d.begin(), d.end());
      d.erase(std::unique(d.begin(), d.end()), d.end());
      out.push_back(std::move(d));
    }
  }
  return out;
}

// The destinations of one token grouped by node: (node, mask) in ascending node order.
std::vector<std::pair<int, uint8_t>> by_node(const std::vector<int>& gpus, int per_node) {
  std::vector<std::pair<int, uint8_t>> groups;
  for (int g : gpus) {
    const int node = g / per_node;
    if (groups.empty() || groups.back().first != node) groups.push_back({node, 0});
    groups.back().second = static_cast<uint8_t>(groups.back().second | (1u << (g % per_node)));
  }
  return groups;
}

void append_table(MemoryImage& image, GpuId gpu, uint64_t offset, const std::vector<RoutingEntry>& entries) {
  if (entries.empty()) return;
  MemoryRegion r{gpu, offset, {}};
  for (const RoutingEntry& e : entries) {
    const auto b = encode_entry(e);
    r.bytes.insert(r.bytes.end(), b.begin(), b.end());
  }
  image.regions.push_back(std::move(r));
}

Instruction queue_of(GpuId g) { return make("QUEUE", {{"coproc", pack_gpu(g)}, {"queue", 0}}); }

Instruction wait_for(uint64_t counter, int value) {
  return make("WAIT", {{"counter", counter}, {"cond", 0}, {"value", static_cast<uint64_t>(value)}, {"order", 1}});
}

void push(Program& p, Instruction insn) {
  insn.index = static_cast<int>(p.descriptors.size());
  p.descriptors.push_back(insn);
}

}  // namespace

GpuId gpu_id(int g, int per_node) {
  return {static_cast<unsigned>(g / per_node), static_cast<unsigned>(g % per_node)};
}

MoePrograms generate_moe_programs(const workloads::WorkloadConfig& w, const workloads::ExpertLayout& layout,
                                  const std::vector<workloads::Routing>& tokens_by_gpu) {
  MoePrograms m;
  m.nodes = w.deployment.nodes;
  m.gpus_per_node = w.deployment.gpus_per_node;
  m.gpus = w.deployment.gpus();
  m.tokens_per_gpu = w.deployment.tokens_per_gpu;
  m.hidden = w.model.hidden_size;
  m.forwarding = w.deployment.internode_path == InternodePath::nvlink_forwarding;
  m.dispatch_row_bytes = static_cast<uint64_t>(w.model.dispatch_bytes_per_token());
  m.combine_row_bytes = 2 * static_cast<uint64_t>(m.hidden);
  if (m.gpus_per_node > static_cast<int>(kGpusPerNodeMax) || m.nodes > static_cast<int>(kNodesMax))
    throw UserError(fmt::format("{} nodes x {} GPUs: the ISA addresses at most {} nodes x {} GPUs", m.nodes,
                                m.gpus_per_node, kNodesMax, kGpusPerNodeMax));
  if (static_cast<int>(tokens_by_gpu.size()) != m.gpus)
    throw UserError(fmt::format("routing for {} GPUs, the deployment has {}", tokens_by_gpu.size(), m.gpus));
  m.destinations = destinations_of(w, layout, tokens_by_gpu);

  const int G = m.gpus, P = m.gpus_per_node, N = m.nodes, T = m.tokens_per_gpu;
  auto slot = [T](int s, int t) { return static_cast<uint32_t>(s * T + t); };
  std::vector<std::vector<RoutingEntry>> dispatch(static_cast<size_t>(G)), forward(static_cast<size_t>(G)),
      final_stage(static_cast<size_t>(G)), gathered(static_cast<size_t>(G));
  for (int s = 0; s < G; ++s) {
    const int s_node = s / P, s_local = s % P;
    for (int t = 0; t < T; ++t) {
      auto groups = by_node(m.destinations[slot(s, t)], P);
      // The own node's rows first: with forwarding they need no WAIT, so the owner sums them while
      // the forwarders work; the gathered node sums follow in ascending node order.
      std::stable_partition(groups.begin(), groups.end(), [s_node](const auto& g) { return g.first == s_node; });
      for (size_t i = 0; i < groups.size(); ++i) {
        const auto [node, mask] = groups[i];
        const bool forwarded = m.forwarding && node != s_node;
        RoutingEntry d;
        d.row_a = static_cast<uint32_t>(t);
        d.row_b = slot(s, t);
        d.node = static_cast<uint16_t>(node);
        d.mask = mask;
        d.kind = forwarded ? EntryKind::forward : EntryKind::multicast;
        d.gpu = forwarded ? static_cast<uint8_t>(s_local) : 0;
        dispatch[static_cast<size_t>(s)].push_back(d);

        RoutingEntry f = d;  // final stage on the owner
        f.row_b = static_cast<uint32_t>(t);
        f.gpu = 0;
        f.flags = static_cast<uint8_t>((i == 0 ? kEntryFirst : 0) | (i + 1 == groups.size() ? kEntryLast : 0));
        if (forwarded) {
          const int forwarder = node * P + s_local;
          RoutingEntry r;
          r.row_a = slot(s, t);
          r.row_b = static_cast<uint32_t>(t * N + node);
          r.node = static_cast<uint16_t>(s_node);
          r.gpu = static_cast<uint8_t>(s_local);
          r.mask = mask;
          r.kind = EntryKind::reduce_forward;
          forward[static_cast<size_t>(forwarder)].push_back(r);
          f.kind = EntryKind::partial;
          f.row_a = r.row_b;
          f.node = static_cast<uint16_t>(s_node);
          f.mask = static_cast<uint8_t>(1u << s_local);
        } else {
          f.kind = EntryKind::pull;
          f.row_a = slot(s, t);
        }
        (forwarded ? gathered : final_stage)[static_cast<size_t>(s)].push_back(f);
      }
    }
  }
  // Forward-stage entries grouped by owner then token; the owners' nodes in the order that starts after
  // the forwarder's own (cyclic), so that the forwarders of a node do not all write to the same owner
  // at once.
  for (int g = 0; g < G; ++g) {
    const int node = g / P;
    auto after = [node, N](const RoutingEntry& e) { return (static_cast<int>(e.node) - node + N) % N; };
    std::stable_sort(forward[static_cast<size_t>(g)].begin(), forward[static_cast<size_t>(g)].end(),
                     [&](const RoutingEntry& a, const RoutingEntry& b) {
                       return std::make_tuple(after(a), a.gpu, a.row_a) < std::make_tuple(after(b), b.gpu, b.row_a);
                     });
  }

  size_t max_d = 0, max_f = 0, max_o = 0, max_p = 0;
  for (int g = 0; g < G; ++g) {
    max_d = std::max(max_d, dispatch[static_cast<size_t>(g)].size());
    max_f = std::max(max_f, forward[static_cast<size_t>(g)].size());
    max_o = std::max(max_o, final_stage[static_cast<size_t>(g)].size());
    max_p = std::max(max_p, gathered[static_cast<size_t>(g)].size());
  }
  const uint64_t D = m.dispatch_row_bytes, C = m.combine_row_bytes, UT = static_cast<uint64_t>(T);
  MoeLayout& L = m.layout;
  uint64_t at = 4096;  // the counters own the first page
  auto place = [&at](uint64_t bytes) { const uint64_t here = at; at = align_page(at + std::max<uint64_t>(bytes, 1)); return here; };
  L.dispatch_table = place(max_d * kRoutingEntryBytes);
  L.forward_table = place(max_f * kRoutingEntryBytes);
  L.final_table = place(max_o * kRoutingEntryBytes);
  L.gathered_table = place(max_p * kRoutingEntryBytes);
  L.tokens = place(UT * D);
  L.received = place(static_cast<uint64_t>(G) * UT * D);
  L.expert_out = place(static_cast<uint64_t>(G) * UT * C);
  L.gather = place(UT * static_cast<uint64_t>(N) * C);
  L.staging = place(max_f * C);
  L.scratch = place(UT * 4 * static_cast<uint64_t>(m.hidden));
  L.out = place(UT * C);
  L.end = at;
  if (L.end > kOffsetLimit) throw UserError("the MoE buffers pass the 2^40-byte offset space of a GPU");

  for (int g = 0; g < G; ++g) {
    const GpuId self = gpu_id(g, P);
    const auto plane = static_cast<uint64_t>(self.gpu);  // GPU i's NIC is on plane i (multi-plane fat-tree)
    append_table(m.image, self, L.dispatch_table, dispatch[static_cast<size_t>(g)]);
    append_table(m.image, self, L.forward_table, forward[static_cast<size_t>(g)]);
    append_table(m.image, self, L.final_table, final_stage[static_cast<size_t>(g)]);
    append_table(m.image, self, L.gathered_table, gathered[static_cast<size_t>(g)]);

    push(m.dispatch, queue_of(self));
    Instruction d = make("DISPATCH", {});
    add(d, "table", L.dispatch_table);
    add(d, "entries", dispatch[static_cast<size_t>(g)].size());
    add(d, "src", L.tokens);
    add(d, "dst", L.received);
    add(d, "bytes", D);
    add(d, "counter", L.dispatch_counter);
    add(d, "nodes", static_cast<uint64_t>(N));
    add(d, "gpus", static_cast<uint64_t>(P));
    add(d, "plane", plane);
    push(m.dispatch, d);
    push(m.dispatch, wait_for(L.dispatch_counter, G));

    push(m.combine, queue_of(self));
    Instruction c = make("COMBINE", {});
    add(c, "cols", static_cast<uint64_t>(m.hidden));
    add(c, "y", L.expert_out);
    add(c, "gather", L.gather);
    add(c, "staging", L.staging);
    add(c, "scratch", L.scratch);
    add(c, "out", L.out);
    add(c, "counter", L.combine_counter);
    add(c, "nodes", static_cast<uint64_t>(N));
    add(c, "gpus", static_cast<uint64_t>(P));
    add(c, "plane", plane);
    if (m.forwarding) {
      Instruction f = c;
      add(f, "stage", 0);
      add(f, "table", L.forward_table);
      add(f, "entries", forward[static_cast<size_t>(g)].size());
      push(m.combine, f);
    }
    add(c, "stage", 1);
    add(c, "table", L.final_table);
    add(c, "entries", final_stage[static_cast<size_t>(g)].size());
    push(m.combine, c);
    if (m.forwarding) {
      push(m.combine, wait_for(L.combine_counter, G));
      add(c, "table", L.gathered_table);
      add(c, "entries", gathered[static_cast<size_t>(g)].size());
      push(m.combine, c);
    }

    // Windows of queue q0 of this GPU: all of its own buffers, and on the other GPUs only what the
    // programs touch there.
    const QueueId q{self, 0};
    m.image.windows.push_back({q, self, 0, L.end, kRead | kWrite});
    for (int o = 0; o < G; ++o) {
      if (o == g) continue;
      const GpuId other = gpu_id(o, P);
      m.image.windows.push_back({q, other, 0, 16, kWrite});  // the two counters
      m.image.windows.push_back({q, other, L.received, static_cast<uint64_t>(G) * UT * D, kWrite});
      if (!m.forwarding || other.node == self.node)
        m.image.windows.push_back({q, other, L.expert_out, static_cast<uint64_t>(G) * UT * C, kRead});
      if (m.forwarding && other.node != self.node && other.gpu == self.gpu)
        m.image.windows.push_back({q, other, L.gather, UT * static_cast<uint64_t>(N) * C, kWrite});
    }
  }
  return m;
}

Program merged_program(const MoePrograms& m) {
  std::vector<QueueProgram> dispatch = split_queues(m.dispatch), combine = split_queues(m.combine);
  Program p;
  for (size_t i = 0; i < dispatch.size(); ++i) {
    push(p, queue_of(dispatch[i].id.gpu));
    for (const Instruction& insn : dispatch[i].instructions) push(p, insn);
    for (const Instruction& insn : combine[i].instructions) push(p, insn);
  }
  return p;
}

std::vector<MemoryRegion> example_data(const MoePrograms& m) {
  const Dtype payload = m.dispatch_row_bytes == 2 * static_cast<uint64_t>(m.hidden) ? Dtype::bf16 : Dtype::e4m3s;
  const auto H = static_cast<uint64_t>(m.hidden);
  std::vector<MemoryRegion> regions;
  std::vector<float> row(H);
  for (int s = 0; s < m.gpus; ++s) {
    MemoryRegion tokens{gpu_id(s, m.gpus_per_node), m.layout.tokens, {}};
    for (int t = 0; t < m.tokens_per_gpu; ++t) {
      for (uint64_t i = 0; i < H; ++i)
        row[i] = static_cast<float>(static_cast<int>((7 * static_cast<uint64_t>(s) + 3 * static_cast<uint64_t>(t) + i) % 17) - 8) / 4;
      std::vector<uint8_t> bytes(row_bytes(payload, H));
      store_row(payload, row.data(), H, bytes.data());
      tokens.bytes.insert(tokens.bytes.end(), bytes.begin(), bytes.end());
      for (int d : m.destinations[static_cast<size_t>(s * m.tokens_per_gpu + t)]) {
        for (uint64_t i = 0; i < H; ++i) row[i] = static_cast<float>((d + 1) * static_cast<int>(i % 4 + 1)) / 8;
        MemoryRegion y{gpu_id(d, m.gpus_per_node),
                       m.layout.expert_out + static_cast<uint64_t>(s * m.tokens_per_gpu + t) * m.combine_row_bytes,
                       std::vector<uint8_t>(m.combine_row_bytes)};
        store_row(Dtype::bf16, row.data(), H, y.bytes.data());
        regions.push_back(std::move(y));
      }
    }
    regions.push_back(std::move(tokens));
  }
  return regions;
}

std::string memory_image_yaml(const MemoryImage& image) {
  std::string s = "# Memory image for hwlab isa run --memory (schema: papers/isa/reference.md)\nwindows:\n";
  for (const Window& w : image.windows)
    s += fmt::format("  - {{queue: {}, at: {}:{:#x}, bytes: {:#x}, access: {}}}\n", w.queue.str(), w.gpu.str(),
                     w.offset, w.bytes, w.access == (kRead | kWrite) ? "rw" : w.access == kRead ? "r" : "w");
  s += "regions:\n";
  for (const MemoryRegion& r : image.regions) {
    const size_t word = r.bytes.size() % 4 == 0 ? 4 : 1;
    s += fmt::format("  - at: {}:{:#x}\n    dtype: {}\n    values: [", r.gpu.str(), r.offset, word == 4 ? "u32" : "u8");
    for (size_t i = 0; i < r.bytes.size(); i += word) {
      uint32_t v = 0;
      for (size_t b = word; b-- > 0;) v = v << 8 | r.bytes[i + b];
      s += fmt::format("{}{:#x}", i ? ", " : "", v);
    }
    s += "]\n";
  }
  return s;
}

}  // namespace hwlab::isa::moe

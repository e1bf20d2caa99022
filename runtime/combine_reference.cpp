#include "runtime/combine_reference.h"

#include <cmath>
#include <cstring>
#include <map>

#include "kernels/payload.h"

namespace hwlab::runtime {

uint16_t float_to_bf16_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float bf16_bits_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

std::vector<uint16_t> combine_reference(const workloads::WorkloadConfig& w, const workloads::ExpertLayout& layout,
                                        const workloads::Routing& r, int rank, int token) {
  const int hidden = w.model.hidden_size, spg = layout.slots_per_gpu();
  const int64_t global = static_cast<int64_t>(rank) * w.deployment.tokens_per_gpu + token;
  // Destination rank -> (local slot, weight) in routing order; std::map keeps ranks ascending.
  std::map<int, std::vector<std::pair<int, float>>> by_rank;
  for (int j = 0; j < r.top_k; ++j) {
    const int slot = layout.target_slot(r.expert(token, j), rank, global);
    by_rank[layout.gpu_of_slot(slot)].push_back({slot % spg, r.weight(token, j)});
  }
  if (w.deployment.shared_expert == workloads::SharedExpertMode::routed)
    by_rank[layout.shared_expert_gpu(rank, global)].push_back({spg, 1.0f});
  std::vector<float> total(static_cast<size_t>(hidden), 0.0f);
  for (const auto& [dst, slots] : by_rank) {
    for (int c = 0; c < hidden; ++c) {
      float partial = 0.0f;
      for (const auto& [slot, weight] : slots)
        partial = std::fma(weight, kernels::expert_output_value(rank, token, dst, slot, c), partial);
      total[static_cast<size_t>(c)] += bf16_bits_to_float(float_to_bf16_bits(partial));
    }
  }
  std::vector<uint16_t> out(static_cast<size_t>(hidden));
  for (int c = 0; c < hidden; ++c) out[static_cast<size_t>(c)] = float_to_bf16_bits(total[static_cast<size_t>(c)]);
  return out;
}

int64_t combine_wrong_elements(const uint16_t* got, const std::vector<uint16_t>& want) {
  int64_t wrong = 0;
  for (size_t c = 0; c < want.size(); ++c) {
    const float g = bf16_bits_to_float(got[c]), x = bf16_bits_to_float(want[c]);
    if (!(std::fabs(g - x) <= 0.015625f + 0.0078125f * std::fabs(x))) ++wrong;
  }
  return wrong;
}

}  // namespace hwlab::runtime

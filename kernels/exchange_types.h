// Records shared by the host-side exchange plan (runtime/, built without CUDA) and the dispatch /
// combine kernels: plain structs with a fixed layout, no CUDA types.
#pragma once

#include <cstdint>

namespace hwlab::kernels {

// A token carries at most top-8 routed experts plus one routed shared expert to one rank.
inline constexpr int kMaxTokenSlots = 9;

// What travels with each dispatched token besides its payload (as DeepEP sends topk_idx and
// topk_weights): who sent it, which token it is, and which of the receiving rank's expert slots
// compute it with which gate weight. 80 bytes: five 16-byte vectors.
struct alignas(16) TokenMeta {
  int32_t src_rank;                // logical rank that owns the token
  int32_t token;                   // index of the token on that rank
  int32_t slot[kMaxTokenSlots];    // local expert slots on the receiving rank, -1 padded
  float weight[kMaxTokenSlots];    // gate weights of those slots (1 for a routed shared expert)
};
static_assert(sizeof(TokenMeta) == 80, "TokenMeta is five 16-byte vectors");

}  // namespace hwlab::kernels

// Synthetic MoE routing with DeepSeek-V3's node-limited (group-limited) top-k gate.
//
// DeepSeek-V3: 256 routed experts in 8 groups of 32 consecutive experts; each token keeps the best
// `topk_groups` = 4 groups, ranked by the sum of each group's best `top_k / topk_groups` = 2 expert
// scores, then takes its top_k = 8 experts from those groups only. Gate weights are the sigmoid
// affinities of the chosen experts, normalised to sum to 1.
//
// Here the scores are synthetic: score_e = ln(popularity_e) + Gumbel noise, so that without the group
// limit the chosen experts are a sample without replacement in proportion to popularity. Every token
// draws from its own counter-based stream, so a Routing is a pure function of (params, stream,
// num_tokens), bit for bit, whatever the thread count.
//
// Generator v2 (the exact definition; see route_token() in routing.cpp): the noise is -ln E_e with
// E_e ~ Exp(1) drawn by Rng::exponential() (a ziggurat), one per expert in expert order from the
// token's stream, and the ranking needs no logarithm: experts rank by key_e = E_e * p_max / p_e
// (smaller is better, the same order as the score; p_max / p_e capped at e^600), groups by the
// product of their best keys, and the gate affinity sigmoid(score_e) is 1 / (1 + key_e / p_max).
// Ties (exactly equal doubles) go to the lower expert or group index.
#pragma once

#include <cstdint>
#include <vector>

namespace hwlab::workloads {

enum class ExpertPopularity { uniform, zipf, hot_experts };

struct RoutingParams {
  int num_experts = 256, top_k = 8, num_groups = 8, topk_groups = 4;
  ExpertPopularity popularity = ExpertPopularity::uniform;
  double zipf_exponent = 1.0;      // zipf: weight of the expert of popularity rank r is 1/(r+1)^s
  int hot_expert_count = 8;        // hot_experts: this many experts ...
  double hot_expert_weight = 8.0;  // ... each carry this many times the weight of a cold one
  bool shuffle_popularity = true;  // popularity ranks assigned by a seeded permutation (hot experts
                                   // spread over groups) instead of expert id order
  uint64_t seed = 1;
};

// The experts chosen for a batch of tokens, row-major [token][slot].
struct Routing {
  int num_tokens = 0, top_k = 0, num_experts = 0;
  std::vector<int32_t> experts;  // [token * top_k + j], the chosen experts by descending score
  std::vector<float> weights;    // same shape, gate weights summing to 1 per token

  int32_t expert(int token, int j) const;
  float weight(int token, int j) const;
  std::vector<int64_t> expert_loads() const;  // tokens per expert, num_experts entries
};

// Throws hwlab::UserError naming the parameter, what is expected and what was found. Checks the
// popularity parameters of the selected popularity only.
void validate(const RoutingParams& params);

// Routes num_tokens tokens (>= 0). `stream` separates independent batches (e.g. layer * num_gpus +
// gpu): the same (params, stream, num_tokens) gives an identical Routing, and token t of a batch is
// the same whatever num_tokens is. Validates params first.
Routing generate_routing(const RoutingParams& params, int num_tokens, uint64_t stream);

// The normalised expected weight of each expert (num_experts entries summing to 1): the
// popularity the scores are drawn from. Validates params first.
std::vector<double> expert_popularity(const RoutingParams& params);

namespace detail {
// For tests: the positions of the k smallest of `values` (no NaN, 0 <= k <= size), smallest first,
// ties to the lower position: the selection generate_routing() ranks experts and groups with, by
// the same code (rank counting up to 32 values, a bounded insertion above).
std::vector<int32_t> smallest_positions(const std::vector<double>& values, int k);
}  // namespace detail

}  // namespace hwlab::workloads

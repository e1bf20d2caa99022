#include "workloads/routing.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "workloads/rng.h"

namespace hwlab::workloads {

namespace {

// Domain separator: the popularity permutation is a property of the model (seed), not of a batch,
// so it draws from a stream no (stream, token) pair of generate_routing() can reach.
constexpr uint64_t kPopularityDomain = 0x504F50554C4152ull;  // "POPULAR"

// Keeps ln(popularity) far from overflow; at 100 the 256th of 256 experts already weighs 10^-241
// of the first.
constexpr double kMaxZipfExponent = 100.0;

[[noreturn]] void reject(const std::string& parameter, const std::string& expected,
                         const std::string& found) {
  throw UserError(fmt::format("routing parameter {}: expected {}, found {}", parameter, expected,
                              found));
}

// ln of each expert's weight, before normalisation, from the popularity rule and the rank order.
std::vector<double> log_expert_weights(const RoutingParams& p) {
  const int n = p.num_experts;
  // rank_to_expert[r] is the expert of popularity rank r (0 = most popular).
  std::vector<int> rank_to_expert(n);
  std::iota(rank_to_expert.begin(), rank_to_expert.end(), 0);
  if (p.shuffle_popularity) {
    // Fisher-Yates with our own Rng: std::shuffle's algorithm is library-specific.
    Rng rng(hash_seed(p.seed, kPopularityDomain));
    for (int i = n - 1; i > 0; --i) {
      const auto j = static_cast<int>(rng.below(static_cast<uint64_t>(i) + 1));
      std::swap(rank_to_expert[i], rank_to_expert[j]);
    }
  }
  std::vector<double> log_w(n, 0.0);
  for (int r = 0; r < n; ++r) {
    double lw = 0.0;  // uniform: every weight 1
    if (p.popularity == ExpertPopularity::zipf) {
      lw = -p.zipf_exponent * det_log(r + 1.0);
    } else if (p.popularity == ExpertPopularity::hot_experts && r < p.hot_expert_count) {
      lw = det_log(p.hot_expert_weight);
    }
    log_w[rank_to_expert[r]] = lw;
  }
  return log_w;
}

// ln(sum exp(v)), shifted by the maximum so that nothing overflows or underflows to all-zero.
double log_sum_exp(const std::vector<double>& v) {
  const double vmax = *std::max_element(v.begin(), v.end());
  double sum = 0.0;
  for (double x : v) sum += det_exp(x - vmax);  // fixed order: deterministic
  return vmax + det_log(sum);
}

// ln(sigmoid(x)) without overflow: -ln(1 + e^-x) for x >= 0, x - ln(1 + e^x) otherwise.
double log_sigmoid(double x) {
  return x >= 0 ? -det_log(1.0 + det_exp(-x)) : x - det_log(1.0 + det_exp(x));
}

// The best k of a stream of offered items under a strict total order `better`, kept sorted best
// first in `best`. An item worse than the current k-th costs one comparison, so picking the top 2 of
// 32 or the top 8 of 128 is a single pass (a heap-based partial_sort spent a fifth of the time).
// The order is total, so the result is unique whatever the offering order.
template <class Better>
class TopK {
 public:
  TopK(int k, std::vector<int32_t>& best, Better better) : k_(k), best_(best), better_(better) {
    best_.resize(k);
  }
  void offer(int32_t item) {
    if (size_ == k_ && !better_(item, best_[k_ - 1])) return;
    int pos = size_ < k_ ? size_++ : k_ - 1;
    for (; pos > 0 && better_(item, best_[pos - 1]); --pos) best_[pos] = best_[pos - 1];
    best_[pos] = item;
  }

 private:
  int k_, size_ = 0;
  std::vector<int32_t>& best_;
  Better better_;
};

// Per-thread buffers for route_token().
struct TokenScratch {
  std::vector<double> score;         // [expert]
  std::vector<int32_t> group_best;   // one group's best experts
  std::vector<double> group_score;   // [group]
  std::vector<int32_t> best_groups;  // the kept groups, best first
  std::vector<int32_t> chosen;       // the chosen experts, best first
  std::vector<double> gate;          // [slot], unnormalised gate weights
};

// Routes one token into experts_out / weights_out (top_k entries each).
void route_token(const RoutingParams& p, const std::vector<double>& log_popularity,
                 uint64_t stream, int token, TokenScratch& s, int32_t* experts_out,
                 float* weights_out) {
  const int n = p.num_experts;
  // Gumbel-top-k: adding independent standard Gumbel noise to ln(popularity) and keeping the k
  // largest is sampling k experts without replacement in proportion to popularity (Gumbel-max,
  // applied k times). Keep it that way: the popularity options mean what they say only because of it.
  Rng rng(hash_seed(p.seed, stream, static_cast<uint64_t>(token)));
  s.score.resize(n);
  for (int e = 0; e < n; ++e) s.score[e] = log_popularity[e] + rng.gumbel();

  // Strict total orders: higher score first, lower index on ties.
  const auto better_expert = [&s](int32_t a, int32_t b) {
    return s.score[a] > s.score[b] || (s.score[a] == s.score[b] && a < b);
  };
  const auto better_group = [&s](int32_t a, int32_t b) {
    return s.group_score[a] > s.group_score[b] || (s.group_score[a] == s.group_score[b] && a < b);
  };

  // Group stage (node-limited routing): rank each group of consecutive experts by the sum of its
  // best top_k / topk_groups scores (summed best first), keep the best topk_groups groups.
  const int group_size = n / p.num_groups;
  const int best_per_group = p.top_k / p.topk_groups;
  s.group_score.resize(p.num_groups);
  TopK best_groups(p.topk_groups, s.best_groups, better_group);
  for (int g = 0; g < p.num_groups; ++g) {
    TopK group_best(best_per_group, s.group_best, better_expert);
    for (int e = g * group_size; e < (g + 1) * group_size; ++e) group_best.offer(e);
    double sum = 0.0;
    for (int i = 0; i < best_per_group; ++i) sum += s.score[s.group_best[i]];
    s.group_score[g] = sum;
    best_groups.offer(g);
  }

  // Expert stage: the top_k experts of the kept groups, best first.
  TopK chosen(p.top_k, s.chosen, better_expert);
  for (int i = 0; i < p.topk_groups; ++i) {
    const int g = s.best_groups[i];
    for (int e = g * group_size; e < (g + 1) * group_size; ++e) chosen.offer(e);
  }

  // Gate weights: sigmoid affinities normalised over the chosen experts, computed from
  // ln(sigmoid) relative to the best so that very unpopular experts cannot underflow the sum to 0.
  // The best-first order makes slot 0 the largest. A weight too small for a float (only with extreme
  // popularity parameters) is stored as FLT_MIN, so that every chosen expert has a positive weight.
  const double log_top = log_sigmoid(s.score[s.chosen[0]]);
  s.gate.resize(p.top_k);
  double sum = 0.0;
  for (int j = 0; j < p.top_k; ++j) {
    s.gate[j] = det_exp(log_sigmoid(s.score[s.chosen[j]]) - log_top);
    sum += s.gate[j];
  }
  for (int j = 0; j < p.top_k; ++j) {
    experts_out[j] = s.chosen[j];
    weights_out[j] = std::max(static_cast<float>(s.gate[j] / sum), FLT_MIN);
  }
}

}  // namespace

int32_t Routing::expert(int token, int j) const {
  assert(token >= 0 && token < num_tokens && j >= 0 && j < top_k);
  return experts[static_cast<size_t>(token) * top_k + j];
}

float Routing::weight(int token, int j) const {
  assert(token >= 0 && token < num_tokens && j >= 0 && j < top_k);
  return weights[static_cast<size_t>(token) * top_k + j];
}

std::vector<int64_t> Routing::expert_loads() const {
  std::vector<int64_t> loads(num_experts, 0);
  for (int32_t e : experts) {
    assert(e >= 0 && e < num_experts);
    ++loads[e];
  }
  return loads;
}

void validate(const RoutingParams& p) {
  const auto str = [](auto v) { return fmt::format("{}", v); };
  if (p.num_experts < 1) reject("num_experts", "at least 1", str(p.num_experts));
  if (p.top_k < 1 || p.top_k > p.num_experts)
    reject("top_k", fmt::format("between 1 and num_experts ({})", p.num_experts), str(p.top_k));
  if (p.num_groups < 1 || p.num_experts % p.num_groups != 0)
    reject("num_groups",
           fmt::format("a divisor of num_experts ({}), so that every expert group holds the same "
                       "number of consecutive experts",
                       p.num_experts),
           str(p.num_groups));
  if (p.topk_groups < 1 || p.topk_groups > p.num_groups)
    reject("topk_groups", fmt::format("between 1 and num_groups ({})", p.num_groups),
           str(p.topk_groups));
  if (p.top_k % p.topk_groups != 0)
    reject("topk_groups",
           fmt::format("a divisor of top_k ({}): a group is ranked by the sum of its best "
                       "top_k / topk_groups expert scores",
                       p.top_k),
           str(p.topk_groups));
  const int group_size = p.num_experts / p.num_groups;
  if (p.top_k > p.topk_groups * group_size)
    reject("top_k",
           fmt::format("at most the {} experts of topk_groups ({}) groups of {} experts",
                       p.topk_groups * group_size, p.topk_groups, group_size),
           str(p.top_k));
  switch (p.popularity) {
    case ExpertPopularity::uniform:
      break;
    case ExpertPopularity::zipf:
      if (!(std::isfinite(p.zipf_exponent) && p.zipf_exponent > 0 &&
            p.zipf_exponent <= kMaxZipfExponent))
        reject("zipf_exponent", fmt::format("a number in (0, {}]", kMaxZipfExponent),
               str(p.zipf_exponent));
      break;
    case ExpertPopularity::hot_experts:
      if (p.hot_expert_count < 1 || p.hot_expert_count > p.num_experts)
        reject("hot_expert_count", fmt::format("between 1 and num_experts ({})", p.num_experts),
               str(p.hot_expert_count));
      if (!(std::isfinite(p.hot_expert_weight) && p.hot_expert_weight > 0))
        reject("hot_expert_weight", "a finite number > 0 (relative to a cold expert's weight 1)",
               str(p.hot_expert_weight));
      break;
    default:
      reject("popularity", "uniform, zipf or hot_experts",
             str(static_cast<int>(p.popularity)));
  }
}

std::vector<double> expert_popularity(const RoutingParams& params) {
  validate(params);
  std::vector<double> log_w = log_expert_weights(params);
  const double lse = log_sum_exp(log_w);
  std::vector<double> popularity(log_w.size());
  for (size_t e = 0; e < log_w.size(); ++e) popularity[e] = det_exp(log_w[e] - lse);
  return popularity;
}

Routing generate_routing(const RoutingParams& params, int num_tokens, uint64_t stream) {
  validate(params);
  if (num_tokens < 0)
    throw UserError(fmt::format("routing: expected a token count >= 0, found {}", num_tokens));

  // ln(popularity), popularity summing to 1. With 256 experts the chosen experts' scores land
  // around -2..1, sigmoid 0.1..0.7: about the affinity range of the real gate. (A constant shift of
  // all scores would change no choice, only how flat the gate weights are.)
  std::vector<double> log_popularity = log_expert_weights(params);
  const double lse = log_sum_exp(log_popularity);
  for (double& x : log_popularity) x -= lse;

  Routing r;
  r.num_tokens = num_tokens;
  r.top_k = params.top_k;
  r.num_experts = params.num_experts;
  const size_t k = static_cast<size_t>(params.top_k);
  r.experts.resize(static_cast<size_t>(num_tokens) * k);
  r.weights.resize(static_cast<size_t>(num_tokens) * k);

  // Each token reads only its own stream and writes only its own row: the result cannot depend on
  // how the range is split over threads.
  tbb::parallel_for(tbb::blocked_range<int>(0, num_tokens, 64),
                    [&](const tbb::blocked_range<int>& range) {
                      TokenScratch scratch;
                      for (int t = range.begin(); t != range.end(); ++t) {
                        const size_t row = static_cast<size_t>(t) * k;
                        route_token(params, log_popularity, stream, t, scratch,
                                    r.experts.data() + row, r.weights.data() + row);
                      }
                    });
  return r;
}

}  // namespace hwlab::workloads

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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
  // Uniform: every weight 1 whatever the order, so the permutation need not be drawn.
  if (p.popularity == ExpertPopularity::uniform) return std::vector<double>(n, 0.0);
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
  // Fixed order: deterministic. det_exp(0) is exactly 1, so the maxima need no call.
  for (double x : v) sum += x == vmax ? 1.0 : det_exp(x - vmax);
  return vmax + det_log(sum);
}

// An expert less popular than the most popular one by more than e^600 is treated as exactly e^600
// times less popular: zipf_exponent 100 over 256 experts reaches e^554.5, hot_expert_weight 1e-300
// e^690.8. Only the order among such experts, when nothing better is left to choose, can differ.
// It keeps every key E * scale in [2^-58, 2^926) (Rng::exponential() is above 3e-18 and, from a
// bijective 64-bit stream, below 2^58), so that products of keys and the gate arithmetic stay
// within normal doubles.
constexpr double kMaxLogPopularityRatio = 600.0;

// What generate_routing() needs of the popularity, computed once per call.
struct KeyScales {
  std::vector<double> scale;  // [expert]: p_max / p_e (>= 1, exactly 1 for the most popular)
  bool all_one = true;        // every scale is 1 (uniform popularity): key = E
  double inv_p_max = 1.0;     // 1 / p_max, p normalised to sum to 1
};

KeyScales compute_key_scales(const RoutingParams& p) {
  const std::vector<double> log_w = log_expert_weights(p);
  const double lw_max = *std::max_element(log_w.begin(), log_w.end());
  KeyScales k;
  k.inv_p_max = det_exp(log_sum_exp(log_w) - lw_max);
  k.scale.resize(log_w.size());
  for (size_t e = 0; e < log_w.size(); ++e) {
    const double d = std::min(lw_max - log_w[e], kMaxLogPopularityRatio);
    k.scale[e] = d == 0 ? 1.0 : det_exp(d);  // det_exp(0) == 1: the same bits
    k.all_one = k.all_one && k.scale[e] == 1.0;
  }
  return k;
}

bool same_bits(double a, double b) { return detail::bits_of(a) == detail::bits_of(b); }

bool same_params(const RoutingParams& a, const RoutingParams& b) {
  return a.num_experts == b.num_experts && a.top_k == b.top_k && a.num_groups == b.num_groups &&
         a.topk_groups == b.topk_groups && a.popularity == b.popularity &&
         same_bits(a.zipf_exponent, b.zipf_exponent) && a.hot_expert_count == b.hot_expert_count &&
         same_bits(a.hot_expert_weight, b.hot_expert_weight) &&
         a.shuffle_popularity == b.shuffle_popularity && a.seed == b.seed;
}

// The key scales of the last parameters this thread routed with: a decode step routes every GPU's
// micro-batch of ~128 tokens with the same parameters, and with zipf or hot experts the scales cost
// 768 det_log/det_exp calls, a tenth of routing 128 tokens. A pure function of the parameters, so
// caching cannot change a result. Returns a copy: while this thread waits in a parallel_for it may
// run another batch's tasks, which may route with other parameters.
KeyScales key_scales(const RoutingParams& p) {
  struct Cache {
    bool valid = false;
    RoutingParams params;
    KeyScales scales;
  };
  thread_local Cache cache;
  if (!cache.valid || !same_params(cache.params, p)) {
    cache.valid = false;  // stays invalid if the computation throws
    cache.scales = compute_key_scales(p);
    cache.params = p;
    cache.valid = true;
  }
  return cache.scales;
}

// A positive product kept as mant * 2^exp, mant in [1, 2), so that products of many keys neither
// overflow nor underflow. Scaling by powers of 2 is exact, so each multiplication rounds exactly as
// the plain product of doubles would where that stays in range.
struct ScaledProduct {
  double mant = 1.0;
  int64_t exp = 0;

  void multiply(double x) {  // x a key: in [2^-58, 2^926), see kMaxLogPopularityRatio
    const uint64_t b = detail::bits_of(mant * x);  // in [2^-58, 2^927): normal
    exp += static_cast<int64_t>(b >> 52) - 1023;
    mant = detail::double_of((b & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52));
  }
  bool operator<(const ScaledProduct& o) const {
    return exp < o.exp || (exp == o.exp && mant < o.mant);
  }
  bool operator==(const ScaledProduct& o) const { return exp == o.exp && mant == o.mant; }
};

// The best k of a stream of offered items under a strict total order `better`, kept sorted best
// first in `best`. An item worse than the current k-th costs one comparison.
// The order is total, so the result is unique whatever the offering order.
template <class Better>
class TopK {
 public:
  TopK(int k, int32_t* best, Better better) : k_(k), best_(best), better_(better) {}
  void offer(int32_t item) {
    if (size_ == k_ && !better_(item, best_[k_ - 1])) return;
    int pos = size_ < k_ ? size_++ : k_ - 1;
    for (; pos > 0 && better_(item, best_[pos - 1]); --pos) best_[pos] = best_[pos - 1];
    best_[pos] = item;
  }

 private:
  int k_, size_ = 0;
  int32_t* best_;
  Better better_;
};

// Up to this many items are ranked by counting (n^2 branch-free comparisons), more with TopK.
constexpr int kMaxRankCount = 32;

// The smallest and second smallest of v[0..len), len >= 2 (values only). Pairs (best, second) of
// disjoint parts merge as (a, b) + (c, d) = (min(a, c), min(max(a, c), min(b, d))); min and max
// select exactly, so any split gives the same two values.
inline void best_two(const double* v, int len, double& m1, double& m2) {
  int i = 0;
  double a = HUGE_VAL, b = HUGE_VAL;
#if defined(__SSE2__)
  // Four lanes in two independent chains.
  const __m128d inf = _mm_set1_pd(HUGE_VAL);
  __m128d a0 = inf, b0 = inf, a1 = inf, b1 = inf;
  for (; i + 4 <= len; i += 4) {
    const __m128d x0 = _mm_loadu_pd(v + i), x1 = _mm_loadu_pd(v + i + 2);
    b0 = _mm_min_pd(b0, _mm_max_pd(a0, x0));
    a0 = _mm_min_pd(a0, x0);
    b1 = _mm_min_pd(b1, _mm_max_pd(a1, x1));
    a1 = _mm_min_pd(a1, x1);
  }
  const __m128d va = _mm_min_pd(a0, a1);
  const __m128d vb = _mm_min_pd(_mm_max_pd(a0, a1), _mm_min_pd(b0, b1));
  alignas(16) double la[2], lb[2];
  _mm_store_pd(la, va);
  _mm_store_pd(lb, vb);
  a = std::min(la[0], la[1]);
  b = std::min(std::max(la[0], la[1]), std::min(lb[0], lb[1]));
#endif
  for (; i < len; ++i) {
    b = std::min(b, std::max(a, v[i]));
    a = std::min(a, v[i]);
  }
  m1 = a;
  m2 = b;
}

// Appends to out (from position count) the e in [first, last) with key[e] <= bound, in order;
// returns the new count.
inline int collect_at_most(const double* key, int first, int last, double bound, int32_t* out,
                           int count) {
  for (int base = first; base < last; base += 64) {
    const int len = std::min(64, last - base);
    uint64_t mask = 0;
    int i = 0;
#if defined(__SSE2__)
    const __m128d vb = _mm_set1_pd(bound);
    for (; i + 2 <= len; i += 2)
      mask |= static_cast<uint64_t>(_mm_movemask_pd(_mm_cmple_pd(_mm_loadu_pd(key + base + i), vb)))
              << i;
#endif
    for (; i < len; ++i) mask |= static_cast<uint64_t>(key[base + i] <= bound) << i;
    for (; mask != 0; mask &= mask - 1) out[count++] = base + __builtin_ctzll(mask);
  }
  return count;
}

// The positions of the k smallest of v[0..m) (m <= kMaxRankCount, no NaN), smallest first, ties
// by lower position, into out[0..k); out has room for k + 1. Rank counting: without equal values,
// rank_i = #{j: v_j < v_i} (the ranks then sum to m(m-1)/2, and only then); with some, a second
// pass breaks them by position. O(m^2) comparisons, but branch-free and vectorised: faster than
// insertion for a few dozen.
inline void rank_smallest(const double* v, int m, int k, int32_t* rank, int32_t* out) {
  int sum = 0;
  for (int i = 0; i < m; ++i) {
    int j = 0, r = 0;
#if defined(__SSE2__)
    const __m128d vi = _mm_set1_pd(v[i]);
    __m128i acc = _mm_setzero_si128();  // each lane counts down by 1 (all-ones) per smaller value
    for (; j + 2 <= m; j += 2)
      acc = _mm_add_epi64(acc, _mm_castpd_si128(_mm_cmplt_pd(_mm_loadu_pd(v + j), vi)));
    r = -static_cast<int>(_mm_cvtsi128_si64(acc) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
    for (; j < m; ++j) r += v[j] < v[i];
    rank[i] = r;
    sum += r;
  }
  if (sum != m * (m - 1) / 2) {
    for (int i = 0; i < m; ++i) {
      int r = 0;
      for (int j = 0; j < m; ++j) r += (v[j] < v[i]) | ((v[j] == v[i]) & (j < i));
      rank[i] = r;
    }
  }
  for (int i = 0; i < m; ++i) out[std::min(rank[i], k)] = i;  // out[k]: a discard slot, no branch
}

// Per-task buffers for route_token(), allocated once per range of tokens.
struct TokenScratch {
  std::vector<double> key;                 // [expert]
  std::vector<double> best;                // [top_k / topk_groups]: the current group's best keys
  std::vector<ScaledProduct> group_score;  // [group]: product of its best keys (smaller is better)
  std::vector<double> group_last;          // [group]: its (top_k / topk_groups)-th best key
  std::vector<double> group_value;         // [group]: group_score as a double, where in range
  std::vector<int32_t> kept;               // [topk_groups + 1]: the kept groups, best first
  std::vector<char> is_kept;               // [group]
  std::vector<int32_t> rank;               // [kMaxRankCount]
  std::vector<int32_t> candidates;         // experts of the kept groups that may be chosen
  std::vector<double> candidate_key;       // [kMaxRankCount]: their keys
  std::vector<int32_t> chosen;             // [top_k + 1]: the chosen experts, best first
  std::vector<double> affinity;            // [top_k], unnormalised gate weights

  explicit TokenScratch(const RoutingParams& p)
      : key(p.num_experts), best(p.top_k / p.topk_groups), group_score(p.num_groups),
        group_last(p.num_groups), group_value(p.num_groups), kept(p.topk_groups + 1),
        is_kept(p.num_groups), rank(kMaxRankCount),
        candidates(static_cast<size_t>(p.topk_groups) * (p.num_experts / p.num_groups)),
        candidate_key(kMaxRankCount), chosen(p.top_k + 1), affinity(p.top_k) {}
};

// Routes one token into experts_out / weights_out (top_k entries each).
//
// The scores are Gumbel-top-k: score_e = ln p_e + G_e with G_e = -ln E_e standard Gumbel noise
// (E_e ~ Exp(1)); keeping the k largest is sampling k experts without replacement in proportion to
// popularity (Gumbel-max applied k times; equivalently, the exponential clocks E_e / p_e ring in
// that order). Keep it that way: the popularity options mean what they say only because of it.
// No logarithm is needed: score_e = -ln(E_e / p_e) is decreasing in
//   key_e = E_e * scale_e,  scale_e = p_max / p_e   (smaller key = higher score),
// a group's sum of scores is decreasing in the product of its keys, and the gate affinity is
// sigmoid(score_e) = 1 / (1 + E_e / p_e) = 1 / (1 + key_e / p_max).
// Exact definitions (generator v2), with ties on exactly equal doubles:
//   experts: by key ascending, ties by lower expert index;
//   groups:  by the product of the group's best top_k/topk_groups keys, multiplied best first
//            (ScaledProduct), ascending, ties by lower group index;
//   chosen:  the top_k experts of the kept groups by the expert order, best first.
// kUniform: every scale is 1, so key_e = E_e. kBest: top_k/topk_groups when 1 or 2, else 0.
template <bool kUniform, int kBest>
void route_token(const RoutingParams& p, const KeyScales& ks, uint64_t stream, int token,
                 TokenScratch& s, int32_t* experts_out, float* weights_out) {
  const int n = p.num_experts, num_groups = p.num_groups, group_size = n / num_groups;
  const int best_per_group = kBest > 0 ? kBest : p.top_k / p.topk_groups;
  double* const key = s.key.data();
  Rng rng(hash_seed(p.seed, stream, static_cast<uint64_t>(token)));

  // Keys in expert order: the stream's order.
  if (kUniform) {
    for (int e = 0; e < n; ++e) key[e] = rng.exponential();
  } else {
    const double* const scale = ks.scale.data();
    for (int e = 0; e < n; ++e) key[e] = rng.exponential() * scale[e];
  }

  // Each group's best keys, as values only (which of two equal keys is "best" does not change the
  // product or the last kept key), and their product.
  for (int g = 0; g < num_groups; ++g) {
    const double* const k = key + static_cast<ptrdiff_t>(g) * group_size;
    ScaledProduct prod;
    if (kBest == 2) {
      double m1, m2;
      best_two(k, group_size, m1, m2);
      prod.multiply(m1);
      prod.multiply(m2);
      s.group_last[g] = m2;
    } else if (kBest == 1) {
      const double m1 = *std::min_element(k, k + group_size);
      prod.multiply(m1);
      s.group_last[g] = m1;
    } else {
      double* const best = s.best.data();
      std::fill(best, best + best_per_group, HUGE_VAL);
      for (int i = 0; i < group_size; ++i) {
        if (!(k[i] < best[best_per_group - 1])) continue;
        int pos = best_per_group - 1;
        for (; pos > 0 && k[i] < best[pos - 1]; --pos) best[pos] = best[pos - 1];
        best[pos] = k[i];
      }
      for (int i = 0; i < best_per_group; ++i) prod.multiply(best[i]);
      s.group_last[g] = best[best_per_group - 1];
    }
    s.group_score[g] = prod;
  }

  // Group stage (node-limited routing): keep the best topk_groups groups.
  if (num_groups <= kMaxRankCount) {
    // Products within the range of normal doubles (always with at most two keys each and a
    // popularity ratio below 2^400) are ranked as doubles: the same values, so the same order.
    const ScaledProduct* const gs = s.group_score.data();
    bool as_double = true;
    for (int g = 0; g < num_groups; ++g) {
      as_double = as_double && gs[g].exp >= -1022 && gs[g].exp <= 1023;
      s.group_value[g] = detail::double_of(
          (detail::bits_of(gs[g].mant) & ((uint64_t{1} << 52) - 1)) |
          (static_cast<uint64_t>(std::clamp<int64_t>(gs[g].exp + 1023, 1, 2046)) << 52));
    }
    if (as_double) {
      rank_smallest(s.group_value.data(), num_groups, p.topk_groups, s.rank.data(), s.kept.data());
    } else {
      for (int g = 0; g < num_groups; ++g) {
        int rank = 0;
        for (int h = 0; h < num_groups; ++h)
          rank += gs[h] < gs[g] || (gs[h] == gs[g] && h < g);
        if (rank < p.topk_groups) s.kept[rank] = g;
      }
    }
  } else {
    const auto better_group = [&s](int32_t a, int32_t b) {
      return s.group_score[a] < s.group_score[b] ||
             (s.group_score[a] == s.group_score[b] && a < b);
    };
    TopK kept(p.topk_groups, s.kept.data(), better_group);
    for (int g = 0; g < num_groups; ++g) kept.offer(g);
  }

  // Expert stage: the kept groups' best keys are top_k experts with keys <= the largest of their
  // last kept keys, so the top_k of the kept groups all have keys <= that bound. Collect those in
  // expert order (11 on average for DeepSeek-V3), then rank them.
  double bound = 0;
  std::fill(s.is_kept.begin(), s.is_kept.end(), 0);
  for (int i = 0; i < p.topk_groups; ++i) {
    bound = std::max(bound, s.group_last[s.kept[i]]);
    s.is_kept[s.kept[i]] = 1;
  }
  int32_t* const cand = s.candidates.data();
  int num_cand = 0;
  for (int g = 0; g < num_groups; ++g)
    if (s.is_kept[g])
      num_cand = collect_at_most(key, g * group_size, (g + 1) * group_size, bound, cand, num_cand);
  if (num_cand <= kMaxRankCount) {
    double* const ck = s.candidate_key.data();
    for (int i = 0; i < num_cand; ++i) ck[i] = key[cand[i]];
    // Positions are in expert order, so ties by position are ties by expert index.
    int32_t* const chosen = s.chosen.data();
    rank_smallest(ck, num_cand, p.top_k, s.rank.data(), chosen);
    for (int j = 0; j < p.top_k; ++j) chosen[j] = cand[chosen[j]];
  } else {
    const auto better_expert = [key](int32_t a, int32_t b) {
      return key[a] < key[b] || (key[a] == key[b] && a < b);
    };
    TopK chosen(p.top_k, s.chosen.data(), better_expert);
    for (int i = 0; i < num_cand; ++i) chosen.offer(cand[i]);
  }

  // Gate weights: sigmoid affinities 1 / (1 + key / p_max) normalised over the chosen experts; slot
  // 0 is the largest. Keys stay below 2^926 and 1 / p_max <= num_experts, so every affinity is a
  // positive normal double and the sum cannot vanish. A weight too small for a float (only with
  // extreme popularity parameters) is stored as FLT_MIN, so that every chosen expert has a positive
  // weight.
  double* const aff = s.affinity.data();
  double sum = 0.0;
  for (int j = 0; j < p.top_k; ++j) {
    aff[j] = 1.0 / (1.0 + key[s.chosen[j]] * ks.inv_p_max);
    sum += aff[j];
  }
  for (int j = 0; j < p.top_k; ++j) {
    experts_out[j] = s.chosen[j];
    weights_out[j] = std::max(static_cast<float>(aff[j] / sum), FLT_MIN);
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

  // With 256 experts the chosen experts' scores ln p_e - ln E_e land around -2..1, sigmoid
  // 0.1..0.7: about the affinity range of the real gate. (A constant shift of all scores would
  // change no choice, only how flat the gate weights are.)
  const KeyScales scales = key_scales(params);

  Routing r;
  r.num_tokens = num_tokens;
  r.top_k = params.top_k;
  r.num_experts = params.num_experts;
  const size_t k = static_cast<size_t>(params.top_k);
  r.experts.resize(static_cast<size_t>(num_tokens) * k);
  r.weights.resize(static_cast<size_t>(num_tokens) * k);

  // The same results whatever the variant: the variants only skip multiplications by 1 and
  // specialise the common group shapes.
  const int best_per_group = params.top_k / params.topk_groups;
  using RouteFn = void (*)(const RoutingParams&, const KeyScales&, uint64_t, int, TokenScratch&,
                           int32_t*, float*);
  RouteFn route = nullptr;
  if (scales.all_one)
    route = best_per_group == 2   ? route_token<true, 2>
            : best_per_group == 1 ? route_token<true, 1>
                                  : route_token<true, 0>;
  else
    route = best_per_group == 2   ? route_token<false, 2>
            : best_per_group == 1 ? route_token<false, 1>
                                  : route_token<false, 0>;

  // Each token reads only its own stream and writes only its own row: the result cannot depend on
  // how the range is split over threads.
  tbb::parallel_for(tbb::blocked_range<int>(0, num_tokens, 64),
                    [&](const tbb::blocked_range<int>& range) {
                      TokenScratch scratch(params);
                      for (int t = range.begin(); t != range.end(); ++t) {
                        const size_t row = static_cast<size_t>(t) * k;
                        route(params, scales, stream, t, scratch, r.experts.data() + row,
                              r.weights.data() + row);
                      }
                    });
  return r;
}

namespace detail {

std::vector<int32_t> smallest_positions(const std::vector<double>& values, int k) {
  const int m = static_cast<int>(values.size());
  assert(k >= 0 && k <= m);
  std::vector<int32_t> out(static_cast<size_t>(k));
  if (k == 0) return out;
  if (m <= kMaxRankCount) {
    std::vector<int32_t> rank(static_cast<size_t>(m)), all(static_cast<size_t>(m) + 1);
    rank_smallest(values.data(), m, m, rank.data(), all.data());
    std::copy(all.begin(), all.begin() + k, out.begin());
  } else {
    const double* const v = values.data();
    const auto better = [v](int32_t a, int32_t b) {
      return v[a] < v[b] || (v[a] == v[b] && a < b);
    };
    TopK best(k, out.data(), better);
    for (int i = 0; i < m; ++i) best.offer(i);
  }
  return out;
}

}  // namespace detail

}  // namespace hwlab::workloads

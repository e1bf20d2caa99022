#include <catch2/catch.hpp>

#include <tbb/global_control.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "workloads/rng.h"
#include "workloads/routing.h"

using namespace hwlab::workloads;
using Catch::Matchers::Contains;

namespace {

RoutingParams small_group_limited() {
  // Group-limited with a different shape from DeepSeek-V3: 64 experts in 8 groups of 8, top-6 from
  // 3 groups, each group ranked by its best 2.
  RoutingParams p;
  p.num_experts = 64;
  p.top_k = 6;
  p.num_groups = 8;
  p.topk_groups = 3;
  return p;
}

// Brute force, written independently of routing.cpp's fast path: the textbook scores
// score_e = ln(popularity_e) - ln(E_e) (Gumbel noise -ln E_e) from the same streams (generator v2:
// one Rng::exponential() per expert in expert order), every group's best top_k/topk_groups by a
// full sort, the best groups by the sum of those scores by a full sort, then a full sort of the
// experts of those groups, and sigmoid gate weights from libm. routing.cpp ranks by keys E_e / p_e
// and products of keys instead (no logarithm): the same order in exact arithmetic, so the two
// agree except on rounding-level near-ties, which these streams do not contain.
// Returns the experts best first and the expected gate weights.
struct Reference {
  std::vector<int> experts;
  std::vector<double> weights;
};

Reference reference_routing(const RoutingParams& p, uint64_t stream, int token) {
  const std::vector<double> popularity = expert_popularity(p);
  Rng rng(hash_seed(p.seed, stream, static_cast<uint64_t>(token)));
  std::vector<double> score(p.num_experts);
  for (int e = 0; e < p.num_experts; ++e)
    score[e] = det_log(popularity[e]) - det_log(rng.exponential());

  const auto by_score = [&](int a, int b) {
    return score[a] != score[b] ? score[a] > score[b] : a < b;
  };
  const int group_size = p.num_experts / p.num_groups;
  const int best = p.top_k / p.topk_groups;
  std::vector<double> group_score(p.num_groups);
  for (int g = 0; g < p.num_groups; ++g) {
    std::vector<int> members(group_size);
    std::iota(members.begin(), members.end(), g * group_size);
    std::sort(members.begin(), members.end(), by_score);
    for (int i = 0; i < best; ++i) group_score[g] += score[members[i]];
  }
  std::vector<int> groups(p.num_groups);
  std::iota(groups.begin(), groups.end(), 0);
  std::sort(groups.begin(), groups.end(), [&](int a, int b) {
    return group_score[a] != group_score[b] ? group_score[a] > group_score[b] : a < b;
  });
  std::vector<int> allowed;
  for (int i = 0; i < p.topk_groups; ++i)
    for (int e = groups[i] * group_size; e < (groups[i] + 1) * group_size; ++e) allowed.push_back(e);
  std::sort(allowed.begin(), allowed.end(), by_score);

  Reference ref;
  ref.experts.assign(allowed.begin(), allowed.begin() + p.top_k);
  double sum = 0;
  for (int e : ref.experts) sum += 1 / (1 + std::exp(-score[e]));
  for (int e : ref.experts) ref.weights.push_back(1 / (1 + std::exp(-score[e])) / sum);
  return ref;
}

// Checks the invariants every routing must satisfy; returns nothing, fails through Catch.
void check_invariants(const RoutingParams& p, const Routing& r) {
  const int group_size = p.num_experts / p.num_groups;
  int bad_experts = 0, bad_groups = 0, bad_weights = 0;
  for (int t = 0; t < r.num_tokens; ++t) {
    std::set<int> experts, groups;
    double sum = 0;
    for (int j = 0; j < r.top_k; ++j) {
      const int e = r.expert(t, j);
      if (e < 0 || e >= p.num_experts) ++bad_experts;
      experts.insert(e);
      groups.insert(e / group_size);
      if (!(r.weight(t, j) > 0)) ++bad_weights;
      sum += r.weight(t, j);
    }
    if (static_cast<int>(experts.size()) != p.top_k) ++bad_experts;
    if (static_cast<int>(groups.size()) > p.topk_groups) ++bad_groups;
    if (std::abs(sum - 1) > 1e-5) ++bad_weights;
  }
  CHECK(bad_experts == 0);
  CHECK(bad_groups == 0);
  CHECK(bad_weights == 0);
}

double mean_of(const std::vector<int64_t>& loads, const std::vector<int>& experts) {
  double sum = 0;
  for (int e : experts) sum += static_cast<double>(loads[e]);
  return sum / static_cast<double>(experts.size());
}

}  // namespace

TEST_CASE("routing rng: det_log and det_exp agree with libm to a few ulp", "[routing][rng]") {
  Rng rng(hash_seed(7, 0));
  double worst_log = 0, worst_exp = 0;
  for (int i = 0; i < 20000; ++i) {
    const double x = std::ldexp(0.5 + rng.uniform(), static_cast<int>(rng.below(200)) - 100);
    const double want_log = std::log(x);
    if (want_log != 0)
      worst_log = std::max(worst_log, std::abs(det_log(x) - want_log) / std::abs(want_log));
    const double y = (rng.uniform() - 0.5) * 1400;
    const double want_exp = std::exp(y);
    if (want_exp > 1e-300)
      worst_exp = std::max(worst_exp, std::abs(det_exp(y) - want_exp) / want_exp);
  }
  CHECK(worst_log < 1e-15);
  CHECK(worst_exp < 1e-15);
  // Relative accuracy where ln(x) is tiny (the inner log of a Gumbel draw with U near 1), across the
  // sqrt(2) reduction boundary, and for subnormals.
  for (double x : {1 - 0x1p-53, 1 - 0x1p-30, 1 + 0x1p-52, 1 + 0x1p-20, 0.999, 1.0009765625,
                   1.4142135623730949, 1.4142135623730951, 0.70710678118654746, 5e-324, 1e-310,
                   1e300}) {
    INFO(x);
    CHECK(std::abs(det_log(x) - std::log(x)) <= 4e-16 * std::abs(std::log(x)));
  }
  CHECK(det_log(1.0) == 0.0);
  CHECK(det_exp(0.0) == 1.0);
  CHECK(std::isinf(det_log(0.0)));
  CHECK(det_exp(-800) == 0.0);
  CHECK(det_sigmoid(0.0) == 0.5);
}

TEST_CASE("routing rng: streams are pinned bit for bit", "[routing][rng]") {
  // Golden values: a change here changes every generated workload. Change them only on purpose.
  CHECK(mix64(0) == 0);
  CHECK(hash_seed(1, 0) != hash_seed(1, 1));
  CHECK(hash_seed(1, 2, 3) != hash_seed(1, 3, 2));
  CHECK(hash_seed(1, 2) == hash_seed(1, 2, 0, 0));
  Rng a(hash_seed(1, 2, 3)), b(hash_seed(1, 2, 3));
  for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == b.next_u64());
  // SplitMix64 reference output for state 0 (first output of the published generator).
  CHECK(Rng(0).next_u64() == 0xE220A8397B1DCDAFull);

  Rng u(42);
  double lo = 1, hi = 0, sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = u.uniform();
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
    REQUIRE(x >= 0);
    REQUIRE(x < 1);
    REQUIRE(x == std::ldexp(std::floor(std::ldexp(x, 53)), -53));  // a multiple of 2^-53
  }
  CHECK(sum / 100000 == Approx(0.5).margin(0.005));

  // Gumbel: mean is the Euler-Mascheroni constant, variance pi^2/6.
  Rng g(43);
  double gsum = 0, gsq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = g.gumbel();
    REQUIRE(std::isfinite(x));
    gsum += x;
    gsq += x * x;
  }
  const double mean = gsum / n, var = gsq / n - mean * mean;
  CHECK(mean == Approx(0.5772156649).margin(0.01));
  CHECK(var == Approx(3.14159265358979 * 3.14159265358979 / 6).margin(0.03));
}

TEST_CASE("routing rng: the ziggurat draws Exp(1)", "[routing][rng]") {
  // Tables: 1024 layers of (nearly) equal area v under e^-x, and the fast test inside each.
  const detail::ExpZiggurat& z = detail::kExpZiggurat;
  const int n = detail::ExpZiggurat::kLayers;
  double prev_x = 0;
  for (int i = 1; i < n; ++i) {
    INFO("layer " << i);
    const double x = z.w[i] * 0x1p53, x_prev = z.w[i - 1] * 0x1p53;
    REQUIRE(x > prev_x);
    CHECK(z.f[i] == Approx(std::exp(-x)).epsilon(1e-15));
    CHECK(x * z.df[i] == Approx(detail::ExpZiggurat::kV).epsilon(1e-11));
    if (i >= 2) CHECK(static_cast<double>(z.k[i]) == Approx(x_prev / x * 0x1p53).epsilon(1e-15));
    prev_x = x;
  }
  CHECK(z.k[1] == 0);
  CHECK(prev_x == detail::ExpZiggurat::kR);
  // The base layer: the rectangle under e^-r plus the tail have area v too.
  CHECK(detail::ExpZiggurat::kR * std::exp(-detail::ExpZiggurat::kR) +
            std::exp(-detail::ExpZiggurat::kR) ==
        Approx(detail::ExpZiggurat::kV).epsilon(1e-14));

  // Pinned: the first draws of one stream (a change here changes every generated workload).
  Rng pinned(hash_seed(1, 2, 3));
  CHECK(pinned.exponential() == 0x1.8844c6c9f38bp+0);
  CHECK(pinned.exponential() == 0x1.87c9cbfc6aa7ap-1);
  CHECK(pinned.exponential() == 0x1.2c9592eb2fa7ep-4);
  CHECK(pinned.exponential() == 0x1.85f941ff1d32dp-2);

  // Moments and a chi-square over 40 equiprobable bins (each 1/40 of the mass), plus the far tail.
  Rng rng(hash_seed(44, 0));
  const int draws = 2000000, bins = 40;
  std::vector<int64_t> count(bins, 0);
  double sum = 0, sq = 0;
  int64_t beyond_r = 0;
  for (int i = 0; i < draws; ++i) {
    const double x = rng.exponential();
    REQUIRE(x > 0);
    REQUIRE(std::isfinite(x));
    sum += x;
    sq += x * x;
    beyond_r += x > detail::ExpZiggurat::kR;
    // F(x) = 1 - e^-x; bin = floor(40 F(x)).
    ++count[std::min(bins - 1, static_cast<int>(bins * -std::expm1(-x)))];
  }
  const double mean = sum / draws, var = sq / draws - mean * mean;
  CHECK(mean == Approx(1.0).margin(0.003));  // sigma 0.0007
  CHECK(var == Approx(1.0).margin(0.01));    // sigma 0.0016
  double chi2 = 0;
  const double expected = static_cast<double>(draws) / bins;
  for (int64_t c : count) {
    const double d = static_cast<double>(c) - expected;
    chi2 += d * d / expected;
  }
  CHECK(chi2 < 80);  // 39 degrees of freedom: 80 is p ~ 1e-4
  const double p_tail = std::exp(-detail::ExpZiggurat::kR);  // 9.5e-5: ~190 of 2e6
  CHECK(std::abs(static_cast<double>(beyond_r) - draws * p_tail) < 5 * std::sqrt(draws * p_tail));
}

TEST_CASE("routing: ties go to the lower position", "[routing]") {
  // The selection routing.cpp ranks experts (by key) and groups (by product) with, on exact ties.
  const auto reference = [](const std::vector<double>& v, int k) {
    std::vector<int32_t> pos(v.size());
    std::iota(pos.begin(), pos.end(), 0);
    std::stable_sort(pos.begin(), pos.end(), [&](int a, int b) { return v[a] < v[b]; });
    pos.resize(k);
    return pos;
  };
  CHECK(detail::smallest_positions({3, 1, 2, 1, 3, 0.5}, 4) == std::vector<int32_t>{5, 1, 3, 2});
  CHECK(detail::smallest_positions({2, 2, 2}, 2) == std::vector<int32_t>{0, 1});
  Rng rng(hash_seed(45, 0));
  for (int m : {1, 2, 7, 8, 31, 32, 33, 64, 200}) {
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> v(m);
      // Even trials: values 0..3, many ties.
      for (double& x : v) x = static_cast<double>(rng.below(trial % 2 == 0 ? 4 : 1000));
      for (int k : {1, std::max(1, m / 2), m}) {
        INFO("m " << m << " k " << k << " trial " << trial);
        REQUIRE(detail::smallest_positions(v, k) == reference(v, k));
      }
    }
  }
}

TEST_CASE("routing: output is pinned for the DeepSeek-V3 defaults", "[routing]") {
  // Golden values for seed 1, stream 0: they pin the whole chain (mixer, ziggurat tables, keys,
  // group stage, tie order, gate arithmetic) so that any platform or refactoring difference shows
  // up here.
  // Generator v2: these changed on purpose when the Gumbel noise -ln(-ln U) (two det_log calls per
  // expert) became -ln E with E an Exp(1) draw from the ziggurat of Rng::exponential(), and the
  // ranking moved to keys E / p (same order as the scores, no logarithm at all): ~10x faster, same
  // distribution. v1 pinned {151, 118, 219, 232, 220, 133, 141, 121}, {22, 153, 131, 246, 43, 57,
  // 247, 24}, weights 0.365483403f and 0.0380458571f.
  const Routing r = generate_routing(RoutingParams{}, 2, 0);
  const std::vector<int32_t> token0(r.experts.begin(), r.experts.begin() + 8);
  const std::vector<int32_t> token1(r.experts.begin() + 8, r.experts.end());
  CHECK(token0 == std::vector<int32_t>{129, 54, 78, 202, 193, 43, 221, 216});
  CHECK(token1 == std::vector<int32_t>{137, 139, 156, 173, 63, 241, 237, 243});
  CHECK(r.weight(0, 0) == 0.306175739f);  // 9 digits: exactly this float
  CHECK(r.weight(0, 7) == 0.023077039f);
  CHECK(r.weight(1, 0) == 0.214472681f);
  CHECK(r.weight(1, 7) == 0.0490025096f);
}

TEST_CASE("routing: every token gets top_k distinct experts from at most topk_groups groups", "[routing]") {
  SECTION("DeepSeek-V3 defaults") {
    RoutingParams p;
    const Routing r = generate_routing(p, 2000, 3);
    CHECK(r.num_tokens == 2000);
    CHECK(r.top_k == 8);
    CHECK(r.num_experts == 256);
    CHECK(r.experts.size() == 2000u * 8);
    CHECK(r.weights.size() == 2000u * 8);
    check_invariants(p, r);
  }
  SECTION("smaller group-limited shape, zipf") {
    RoutingParams p = small_group_limited();
    p.popularity = ExpertPopularity::zipf;
    check_invariants(p, generate_routing(p, 2000, 0));
  }
  SECTION("hot experts, not shuffled") {
    RoutingParams p;
    p.popularity = ExpertPopularity::hot_experts;
    p.shuffle_popularity = false;  // all 8 hot experts in group 0: at most 2 of them fit
    check_invariants(p, generate_routing(p, 2000, 0));
  }
  SECTION("no group limit") {
    RoutingParams p;
    p.num_groups = 1;
    p.topk_groups = 1;
    check_invariants(p, generate_routing(p, 500, 0));
  }
  SECTION("zero tokens") {
    const Routing r = generate_routing(RoutingParams{}, 0, 0);
    CHECK(r.num_tokens == 0);
    CHECK(r.experts.empty());
    CHECK(r.expert_loads() == std::vector<int64_t>(256, 0));
  }
}

TEST_CASE("routing: chosen experts are the group-limited top-k of the scores (brute force)", "[routing]") {
  // Each case also exercises one path of routing.cpp: uniform keys or scaled ones, 1, 2 or more
  // best experts per group, groups and candidates ranked by counting or by insertion, group
  // products as doubles or beyond their range.
  std::vector<RoutingParams> cases(11);
  cases[1] = small_group_limited();
  cases[1].popularity = ExpertPopularity::zipf;
  cases[1].zipf_exponent = 1.3;
  cases[2].popularity = ExpertPopularity::hot_experts;
  cases[2].seed = 99;
  cases[3] = small_group_limited();
  cases[3].num_groups = 4;
  cases[3].topk_groups = 2;  // best 3 per group
  cases[4].num_groups = 1;   // no group limit
  cases[4].topk_groups = 1;
  cases[5].top_k = 4;  // best 1 per group
  cases[5].popularity = ExpertPopularity::zipf;
  cases[6].num_groups = 64;  // groups of 4: more groups than are ranked by counting
  cases[6].popularity = ExpertPopularity::hot_experts;
  cases[7].top_k = 40;  // best 10 per group, more candidates than are ranked by counting
  cases[7].popularity = ExpertPopularity::zipf;
  cases[8].popularity = ExpertPopularity::zipf;  // keys up to e^554
  cases[8].zipf_exponent = 100;
  cases[10] = cases[8];  // products of 4 such keys: up to 2^1420, beyond a double
  cases[10].num_groups = 4;
  cases[10].topk_groups = 2;
  cases[9] = small_group_limited();  // odd group size
  cases[9].num_experts = 56;
  cases[9].popularity = ExpertPopularity::hot_experts;
  cases[9].hot_expert_count = 3;
  for (size_t c = 0; c < cases.size(); ++c) {
    const RoutingParams& p = cases[c];
    const uint64_t stream = 5 + c;
    const Routing r = generate_routing(p, 64, stream);
    for (int t = 0; t < 64; ++t) {
      INFO("case " << c << ", token " << t);
      const Reference ref = reference_routing(p, stream, t);
      for (int j = 0; j < p.top_k; ++j) {
        CHECK(r.expert(t, j) == ref.experts[j]);
        // A weight too small for a float is stored as FLT_MIN (zipf 100 reaches 1e-200).
        CHECK(r.weight(t, j) == Approx(std::max<double>(ref.weights[j], FLT_MIN)).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("routing: token t does not depend on the batch size", "[routing]") {
  const Routing small = generate_routing(RoutingParams{}, 10, 4);
  const Routing large = generate_routing(RoutingParams{}, 1000, 4);
  CHECK(std::equal(small.experts.begin(), small.experts.end(), large.experts.begin()));
  CHECK(std::equal(small.weights.begin(), small.weights.end(), large.weights.begin()));
}

TEST_CASE("routing: same seed and stream give identical results and other seeds or streams differ", "[routing]") {
  RoutingParams p;
  p.popularity = ExpertPopularity::zipf;
  const Routing a = generate_routing(p, 1000, 2);
  const Routing b = generate_routing(p, 1000, 2);
  CHECK(a.experts == b.experts);
  CHECK(a.weights == b.weights);  // bit for bit

  const Routing other_stream = generate_routing(p, 1000, 3);
  CHECK(other_stream.experts != a.experts);
  RoutingParams q = p;
  q.seed = 2;
  const Routing other_seed = generate_routing(q, 1000, 2);
  CHECK(other_seed.experts != a.experts);
  // Not just different somewhere: most tokens differ.
  int same_rows = 0;
  for (int t = 0; t < 1000; ++t)
    same_rows += std::equal(a.experts.begin() + t * 8, a.experts.begin() + t * 8 + 8,
                            other_seed.experts.begin() + t * 8);
  CHECK(same_rows < 50);
}

TEST_CASE("routing: result does not depend on the thread count", "[routing]") {
  RoutingParams p;
  p.popularity = ExpertPopularity::hot_experts;
  Routing one, four;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = generate_routing(p, 5000, 11);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 4);
    four = generate_routing(p, 5000, 11);
  }
  CHECK(one.experts == four.experts);
  CHECK(one.weights == four.weights);
}

TEST_CASE("routing: uniform popularity balances the experts", "[routing]") {
  const Routing r = generate_routing(RoutingParams{}, 65536, 0);
  const std::vector<int64_t> loads = r.expert_loads();
  REQUIRE(loads.size() == 256);
  CHECK(std::accumulate(loads.begin(), loads.end(), int64_t{0}) == 65536 * 8);
  const double mean = 65536.0 * 8 / 256;
  const auto [lo, hi] = std::minmax_element(loads.begin(), loads.end());
  CHECK(static_cast<double>(*lo) > 0.85 * mean);
  CHECK(static_cast<double>(*hi) < 1.15 * mean);
}

TEST_CASE("routing: expert_popularity follows the popularity rule", "[routing]") {
  SECTION("uniform") {
    for (double x : expert_popularity(RoutingParams{})) CHECK(x == Approx(1.0 / 256));
  }
  SECTION("zipf in id order") {
    RoutingParams p;
    p.popularity = ExpertPopularity::zipf;
    p.zipf_exponent = 1.5;
    p.shuffle_popularity = false;
    const std::vector<double> pop = expert_popularity(p);
    CHECK(std::accumulate(pop.begin(), pop.end(), 0.0) == Approx(1.0));
    CHECK(pop[0] / pop[1] == Approx(std::pow(2.0, 1.5)));
    CHECK(pop[0] / pop[255] == Approx(std::pow(256.0, 1.5)));
    CHECK(std::is_sorted(pop.rbegin(), pop.rend()));
  }
  SECTION("hot experts, shuffled: same weights, spread over the groups") {
    RoutingParams p;
    p.popularity = ExpertPopularity::hot_experts;
    const std::vector<double> pop = expert_popularity(p);
    CHECK(std::accumulate(pop.begin(), pop.end(), 0.0) == Approx(1.0));
    const double cold = 1.0 / (8 * 8.0 + 248), hot = 8 * cold;
    std::set<int> hot_groups;
    int hot_count = 0;
    for (int e = 0; e < 256; ++e) {
      if (pop[e] == Approx(hot)) {
        ++hot_count;
        hot_groups.insert(e / 32);
      } else {
        CHECK(pop[e] == Approx(cold));
      }
    }
    CHECK(hot_count == 8);
    CHECK(hot_groups.size() > 2);  // not all in one or two groups (id order would put them in group 0)
    RoutingParams q = p;
    q.seed = 2;
    CHECK(expert_popularity(q) != pop);  // the permutation follows the seed
  }
}

TEST_CASE("routing: without a group limit the first pick samples in proportion to popularity",
          "[routing]") {
  // Gumbel-max: with top_k = 1 and one group, P(expert e first) = popularity_e exactly.
  RoutingParams p;
  p.num_experts = 16;
  p.top_k = 1;
  p.num_groups = 1;
  p.topk_groups = 1;
  p.popularity = ExpertPopularity::zipf;
  const int n = 100000;
  const std::vector<int64_t> loads = generate_routing(p, n, 0).expert_loads();
  const std::vector<double> pop = expert_popularity(p);
  for (int e = 0; e < 16; ++e) {
    const double expected = n * pop[e], sigma = std::sqrt(n * pop[e] * (1 - pop[e]));
    INFO("expert " << e);
    CHECK(std::abs(static_cast<double>(loads[e]) - expected) < 5 * sigma);
  }
}

TEST_CASE("routing: skewed popularity shows in the loads", "[routing]") {
  SECTION("hot experts carry several times a cold expert's load") {
    RoutingParams p;
    p.popularity = ExpertPopularity::hot_experts;
    const std::vector<double> pop = expert_popularity(p);
    const std::vector<int64_t> loads = generate_routing(p, 16384, 0).expert_loads();
    std::vector<int> hot, cold;
    for (int e = 0; e < 256; ++e) (pop[e] > 2.0 / 256 ? hot : cold).push_back(e);
    REQUIRE(hot.size() == 8);
    const double ratio = mean_of(loads, hot) / mean_of(loads, cold);
    INFO("hot/cold mean load ratio " << ratio);
    CHECK(ratio > 5);  // 7.6 for this seed (v1 and v2 alike)
    CHECK(ratio < 8);  // sampling without replacement saturates: a token takes an expert once
  }
  SECTION("zipf: the most popular decile is loaded far above the least") {
    RoutingParams p;
    p.popularity = ExpertPopularity::zipf;
    const std::vector<double> pop = expert_popularity(p);
    const std::vector<int64_t> loads = generate_routing(p, 16384, 0).expert_loads();
    std::vector<int> by_rank(256);
    std::iota(by_rank.begin(), by_rank.end(), 0);
    std::sort(by_rank.begin(), by_rank.end(), [&](int a, int b) { return pop[a] > pop[b]; });
    const std::vector<int> top(by_rank.begin(), by_rank.begin() + 25);
    const std::vector<int> bottom(by_rank.end() - 25, by_rank.end());
    const double ratio = mean_of(loads, top) / mean_of(loads, bottom);
    INFO("top/bottom decile mean load ratio " << ratio);
    CHECK(ratio > 10);  // 29 for this seed (v1: 30)
  }
}

TEST_CASE("routing: validate rejects each bad parameter by name", "[routing]") {
  const auto rejects = [](RoutingParams p, const std::string& text) {
    INFO("expecting a message containing '" << text << "'");
    CHECK_THROWS_WITH(validate(p), Contains(text));
    CHECK_THROWS_AS(generate_routing(p, 1, 0), hwlab::UserError);
  };
  CHECK_NOTHROW(validate(RoutingParams{}));
  RoutingParams p;
  p.num_experts = 0;
  rejects(p, "num_experts: expected at least 1, found 0");
  p = {};
  p.top_k = 0;
  rejects(p, "top_k: expected between 1 and num_experts (256), found 0");
  p = {};
  p.top_k = 300;
  rejects(p, "top_k");
  p = {};
  p.num_groups = 7;
  rejects(p, "num_groups: expected a divisor of num_experts (256)");
  p = {};
  p.num_groups = 0;
  rejects(p, "num_groups");
  p = {};
  p.topk_groups = 9;
  rejects(p, "topk_groups: expected between 1 and num_groups (8), found 9");
  p = {};
  p.topk_groups = 3;
  rejects(p, "topk_groups: expected a divisor of top_k (8)");
  p = {};
  p.num_experts = 16;  // 8 groups of 2: 4 groups hold 8 experts, fine; 2 groups hold 4 < top_k
  p.topk_groups = 2;
  rejects(p, "top_k: expected at most the 4 experts of topk_groups (2) groups of 2 experts, found 8");
  p = {};
  p.popularity = ExpertPopularity::zipf;
  p.zipf_exponent = 0;
  rejects(p, "zipf_exponent");
  p.zipf_exponent = std::nan("");
  rejects(p, "zipf_exponent");
  p.zipf_exponent = -1;
  rejects(p, "zipf_exponent: expected a number in (0, 100], found -1");
  p = {};
  p.popularity = ExpertPopularity::hot_experts;
  p.hot_expert_count = 0;
  rejects(p, "hot_expert_count: expected between 1 and num_experts (256), found 0");
  p.hot_expert_count = 257;
  rejects(p, "hot_expert_count");
  p = {};
  p.popularity = ExpertPopularity::hot_experts;
  p.hot_expert_weight = 0;
  rejects(p, "hot_expert_weight");
  p.hot_expert_weight = HUGE_VAL;
  rejects(p, "hot_expert_weight");
  p = {};
  p.popularity = static_cast<ExpertPopularity>(7);
  rejects(p, "popularity");
  // Popularity parameters of an unselected rule are not checked.
  p = {};
  p.zipf_exponent = -1;
  p.hot_expert_count = 0;
  CHECK_NOTHROW(validate(p));
  // A negative token count is a user error too.
  CHECK_THROWS_WITH(generate_routing(RoutingParams{}, -1, 0), Contains("token count"));
}

TEST_CASE("routing: extreme but valid popularity still gives positive weights", "[routing]") {
  RoutingParams p;
  p.popularity = ExpertPopularity::zipf;
  p.zipf_exponent = 100;  // the tail's ln(popularity) reaches about -550
  check_invariants(p, generate_routing(p, 200, 0));
  p.popularity = ExpertPopularity::hot_experts;
  p.hot_expert_weight = 1e-300;  // "hot" experts nobody picks
  const Routing r = generate_routing(p, 2000, 0);
  check_invariants(p, r);
  const std::vector<double> pop = expert_popularity(p);
  int64_t hot_load = 0;
  const std::vector<int64_t> loads = r.expert_loads();
  for (int e = 0; e < 256; ++e)
    if (pop[e] < 1e-200) hot_load += loads[e];
  CHECK(hot_load == 0);
}

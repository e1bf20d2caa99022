#include "isa/numerics/study.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"

namespace hwlab::numerics {
namespace {

__extension__ typedef __int128 int128;

// Exact products: every E4M3/E5M2 value times 2^16 is an integer below 2^32.
constexpr double kUnit = 65536.0;

struct Inputs {
  std::vector<uint8_t> a, b;
  std::vector<double> reference;  // M x N exact sums (one rounding to double)
};

Inputs make_inputs(const StudyConfig& c, probe::Style style, int k) {
  const bool e5m2 = c.format == Format::e5m2;
  Inputs in;
  in.a.resize(static_cast<size_t>(c.m) * k);
  in.b.resize(static_cast<size_t>(c.n) * k);
  for (int i = 0; i < c.m; ++i) {
    for (int kk = 0; kk < k; ++kk) {
      in.a[static_cast<size_t>(i) * k + kk] = probe::generate_code(style, e5m2, c.seed, 0, static_cast<uint32_t>(i), static_cast<uint32_t>(kk));
    }
  }
  for (int j = 0; j < c.n; ++j) {
    for (int kk = 0; kk < k; ++kk) {
      in.b[static_cast<size_t>(j) * k + kk] = probe::generate_code(style, e5m2, c.seed, 1, static_cast<uint32_t>(j), static_cast<uint32_t>(kk));
    }
  }
  int64_t scaled[256];
  for (int code = 0; code < 256; ++code) {
    const double v = decode(c.format, static_cast<uint32_t>(code));
    scaled[code] = std::isfinite(v) ? static_cast<int64_t>(v * kUnit) : 0;
  }
  in.reference.resize(static_cast<size_t>(c.m) * c.n);
  for (int i = 0; i < c.m; ++i) {
    for (int j = 0; j < c.n; ++j) {
      int128 sum = 0;
      const uint8_t* a = in.a.data() + static_cast<size_t>(i) * k;
      const uint8_t* b = in.b.data() + static_cast<size_t>(j) * k;
      for (int kk = 0; kk < k; ++kk) sum += static_cast<int128>(scaled[a[kk]] * scaled[b[kk]]);
      in.reference[static_cast<size_t>(i) * c.n + j] = static_cast<double>(sum) / (kUnit * kUnit);
    }
  }
  return in;
}

}  // namespace

std::string strategy_name(int promotion) {
  return promotion == 0 ? std::string("none") : "nc" + std::to_string(promotion);
}

std::string check_study(const StudyConfig& c) {
  if (c.m < 1 || c.n < 1) return "m and n must be at least 1";
  if (c.ks.empty() || c.presets.empty() || c.promotions.empty() || c.inputs.empty()) {
    return "every list (k, presets, promotions, inputs) needs at least one entry";
  }
  if (c.format != Format::e4m3 && c.format != Format::e5m2) return "the format must be e4m3 or e5m2";
  for (int k : c.ks) {
    if (k < 1 || k > (1 << 20)) return "k must be in [1, 2^20], found " + std::to_string(k);
  }
  for (const std::string& p : c.presets) {
    const BlockFmaModel model = preset(p);  // throws on unknown names
    for (int nc : c.promotions) {
      if (nc < 0) return "promotion intervals must be 0 (none) or positive";
      if (nc > 0 && nc % model.products_per_block != 0) {
        return "promotion every " + std::to_string(nc) + " is not a multiple of " + p + "'s " +
               std::to_string(model.products_per_block) + " products per block";
      }
    }
  }
  return {};
}

std::vector<StudyCell> run_study(const StudyConfig& c) {
  const std::string problem = check_study(c);
  if (!problem.empty()) throw UserError("study: " + problem);
  std::vector<Inputs> inputs;  // index: input * ks + k
  for (probe::Style style : c.inputs) {
    for (int k : c.ks) inputs.push_back(make_inputs(c, style, k));
  }
  std::vector<StudyCell> cells;
  for (const std::string& p : c.presets) {
    for (int nc : c.promotions) {
      for (size_t s = 0; s < c.inputs.size(); ++s) {
        for (size_t ki = 0; ki < c.ks.size(); ++ki) {
          cells.push_back({p, nc, c.inputs[s], c.ks[ki], 0, 0, 0});
        }
      }
    }
  }
  tbb::parallel_for(size_t{0}, cells.size(), [&](size_t idx) {
    StudyCell& cell = cells[idx];
    const size_t s = static_cast<size_t>(std::find(c.inputs.begin(), c.inputs.end(), cell.input) - c.inputs.begin());
    const size_t ki = static_cast<size_t>(std::find(c.ks.begin(), c.ks.end(), cell.k) - c.ks.begin());
    const Inputs& in = inputs[s * c.ks.size() + ki];
    GemmProblem gp;
    gp.m = c.m;
    gp.n = c.n;
    gp.k = cell.k;
    gp.format = c.format;
    gp.a = in.a;
    gp.b = in.b;
    GemmOptions o;
    // An interval longer than K is no promotion inside this K; a K that the interval does not
    // divide ends with a shorter interval (gemm() handles the remainder).
    o.promotion_interval = cell.promotion;
    o.threads = 1;
    const std::vector<float> d = gemm(preset(cell.preset), gp, o);
    double num = 0, den = 0;
    std::vector<double> rel;
    rel.reserve(d.size());
    for (size_t e = 0; e < d.size(); ++e) {
      const double r = in.reference[e];
      const double err = static_cast<double>(d[e]) - r;
      num += err * err;
      den += r * r;
      if (r != 0) rel.push_back(std::fabs(err) / std::fabs(r));
    }
    cell.normwise_rel_err = den > 0 ? std::sqrt(num) / std::sqrt(den) : 0.0;
    if (!rel.empty()) {
      std::sort(rel.begin(), rel.end());
      const size_t h = rel.size() / 2;
      cell.median_elem_rel_err = rel.size() % 2 ? rel[h] : 0.5 * (rel[h - 1] + rel[h]);
      cell.max_elem_rel_err = rel.back();
    }
  });
  return cells;
}

}  // namespace hwlab::numerics

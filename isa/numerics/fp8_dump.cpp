#include "isa/numerics/fp8_dump.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "common/atomic_file.h"
#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "isa/numerics/probe_inputs.h"

namespace hwlab::numerics {
namespace {

// Limits that keep a corrupt header from asking for absurd allocations.
constexpr uint32_t kMaxDim = 1u << 16;
constexpr uint32_t kMaxK = 1u << 20;
constexpr uint64_t kMaxElements = uint64_t{1} << 31;

class Cursor {
 public:
  Cursor(const std::string& bytes, const std::string& file) : bytes_(bytes), file_(file) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw UserError(file_ + ": offset " + std::to_string(at) + ": " + what);
  }
  // Copies `count` bytes into `out`, or fails naming `what`.
  void read(void* out, size_t count, const std::string& what) {
    if (count > remaining()) {
      fail(pos_, what + " needs " + std::to_string(count) + " bytes, " + std::to_string(remaining()) +
                     " remain (truncated file?)");
    }
    if (count) std::memcpy(out, bytes_.data() + pos_, count);
    pos_ += count;
  }

 private:
  const std::string& bytes_;
  const std::string& file_;
  size_t pos_ = 0;
};

std::string text_field(const char* field, size_t size) {
  return std::string(field, strnlen(field, size));
}

void validate_header(const Cursor& cur, size_t at, const dump::RecordHeader& h, const std::string& name) {
  const std::string rec = "record '" + name + "': ";
  auto bad = [&](const std::string& what) { cur.fail(at, rec + what); };
  if (h.path >= static_cast<uint32_t>(dump::Path::count_)) bad("unknown path " + std::to_string(h.path));
  if (h.kind >= static_cast<uint32_t>(dump::RecordKind::count_)) bad("unknown kind " + std::to_string(h.kind));
  if (h.format_a > 1 || h.format_b > 1) bad("format must be 0 (e4m3) or 1 (e5m2)");
  if (h.m < 1 || h.n < 1 || h.k < 1 || h.m > kMaxDim || h.n > kMaxDim || h.k > kMaxK) {
    bad("m, n must be in [1, " + std::to_string(kMaxDim) + "] and k in [1, " + std::to_string(kMaxK) +
        "], found m=" + std::to_string(h.m) + " n=" + std::to_string(h.n) + " k=" + std::to_string(h.k));
  }
  if (h.c_mode >= static_cast<uint32_t>(dump::CMode::count_)) bad("unknown c_mode " + std::to_string(h.c_mode));
  if (h.scale_mode >= static_cast<uint32_t>(dump::ScaleMode::count_)) bad("unknown scale_mode");
  if (h.out_type >= static_cast<uint32_t>(dump::OutType::count_)) bad("unknown out_type");
  if (h.input_style >= static_cast<uint32_t>(probe::Style::count_)) bad("unknown input_style");
  const uint64_t groups = (h.k + 127u) / 128u;
  if (h.scale_mode == static_cast<uint32_t>(dump::ScaleMode::a1x128_b128x128)) {
    if (h.n_scale_a != h.m * groups || h.n_scale_b != ((h.n + 127u) / 128u) * groups) {
      bad("block scales need " + std::to_string(h.m * groups) + " scales of A and " +
          std::to_string(((h.n + 127u) / 128u) * groups) + " of B, header says " +
          std::to_string(h.n_scale_a) + " and " + std::to_string(h.n_scale_b));
    }
  } else if (h.n_scale_a != 0 || h.n_scale_b != 0) {
    bad("per-tensor records carry no scale arrays");
  }
  if (static_cast<uint64_t>(h.m) * h.k > kMaxElements || static_cast<uint64_t>(h.n) * h.k > kMaxElements) {
    bad("matrices too large");
  }
  if (h.kind == static_cast<uint32_t>(dump::RecordKind::sampled) && h.n_samples == 0) bad("no samples");
}

}  // namespace

const char* path_name(dump::Path path) {
  switch (path) {
    case dump::Path::mma_sync_fp8: return "mma.sync-fp8";
    case dump::Path::wgmma_fp8: return "wgmma-fp8";
    case dump::Path::cublaslt: return "cublaslt";
    case dump::Path::mma_sync_fp16: return "mma.sync-fp16";
    case dump::Path::cuda_model: return "cuda-model";
    case dump::Path::count_: break;
  }
  return "?";
}

std::vector<DumpRecord> parse_dump(const std::string& bytes, const std::string& file) {
  Cursor cur(bytes, file);
  char magic[8];
  uint32_t version = 0, count = 0;
  char reserved[16];
  cur.read(magic, 8, "the file header");
  if (std::memcmp(magic, dump::kMagic, 8) != 0) cur.fail(0, "not an FP8 probe dump (magic is not HWFP8DMP)");
  cur.read(&version, 4, "the file header");
  if (version != dump::kVersion) {
    cur.fail(8, "dump version " + std::to_string(version) + ", this hwlab reads version " +
                    std::to_string(dump::kVersion));
  }
  cur.read(&count, 4, "the file header");
  cur.read(reserved, 16, "the file header");
  if (count == 0 || count > 100000) cur.fail(12, "record count " + std::to_string(count) + " (expected 1 .. 100000)");

  std::vector<DumpRecord> records;
  for (uint32_t r = 0; r < count; ++r) {
    DumpRecord rec;
    rec.file = file;
    rec.offset = cur.offset();
    cur.read(&rec.header, sizeof rec.header, "record " + std::to_string(r) + "'s header");
    const dump::RecordHeader& h = rec.header;
    rec.name = text_field(h.name, sizeof h.name);
    rec.model_name = text_field(h.model_name, sizeof h.model_name);
    rec.library = text_field(h.library, sizeof h.library);
    validate_header(cur, rec.offset, h, rec.name);
    const std::string rec_name = "record '" + rec.name + "'";
    if (rec.sampled()) {
      rec.samples.resize(h.n_samples);
      cur.read(rec.samples.data(), 12u * h.n_samples, rec_name + "'s samples");
      for (const DumpSample& s : rec.samples) {
        if (s.i >= h.m || s.j >= h.n) {
          cur.fail(cur.offset(), rec_name + ": sample (" + std::to_string(s.i) + ", " + std::to_string(s.j) +
                                     ") outside the " + std::to_string(h.m) + " x " + std::to_string(h.n) + " output");
        }
      }
    } else {
      const size_t mn = static_cast<size_t>(h.m) * h.n;
      rec.a.resize(static_cast<size_t>(h.m) * h.k);
      rec.b.resize(static_cast<size_t>(h.n) * h.k);
      cur.read(rec.a.data(), rec.a.size(), rec_name + " A (" + std::to_string(h.m) + " x " + std::to_string(h.k) + " codes)");
      cur.read(rec.b.data(), rec.b.size(), rec_name + " B (" + std::to_string(h.n) + " x " + std::to_string(h.k) + " codes)");
      rec.scale_a.resize(h.n_scale_a);
      rec.scale_b.resize(h.n_scale_b);
      cur.read(rec.scale_a.data(), 4u * h.n_scale_a, rec_name + " scales of A");
      cur.read(rec.scale_b.data(), 4u * h.n_scale_b, rec_name + " scales of B");
      if (h.c_mode != static_cast<uint32_t>(dump::CMode::none)) {
        rec.c.resize(mn);
        cur.read(rec.c.data(), 4 * mn, rec_name + " C (" + std::to_string(mn) + " FP32 words)");
      }
      rec.d.resize(mn);
      cur.read(rec.d.data(), 4 * mn, rec_name + " D (" + std::to_string(mn) + " FP32 words)");
    }
    records.push_back(std::move(rec));
  }
  if (cur.remaining() != 0) {
    cur.fail(cur.offset(), std::to_string(cur.remaining()) + " bytes after the last of " +
                               std::to_string(count) + " records");
  }
  return records;
}

std::vector<DumpRecord> read_dump(const std::string& path) { return parse_dump(read_file(path), path); }

std::string Hypothesis::str() const {
  std::string s = model + " nc=" + (promotion == 0 ? std::string("never") : std::to_string(promotion));
  if (!k_order.empty()) s += " k-order=" + k_order;
  return s;
}

Hypothesis default_hypothesis(const DumpRecord& record) {
  Hypothesis h;
  switch (record.path()) {
    case dump::Path::mma_sync_fp8:
      // sm_90 runs mma.sync FP8 as two FP16 HMMA.16816 blocks per k32 (pairs order), from +0, each
      // instruction's result added to the accumulator with an FP32 add (README.md, probes).
      h.model = "h100-fp8-mma-sync";
      h.promotion = 32;
      h.k_order = "pairs";
      break;
    case dump::Path::wgmma_fp8: h.model = "h100-fp8"; break;
    case dump::Path::mma_sync_fp16: h.model = "h100-fp16"; break;
    case dump::Path::cublaslt:
      h.model = "h100-fp8";
      h.promotion = record.header.fast_accum ? 0 : kCublasLtPromotion;
      break;
    case dump::Path::cuda_model:
      h.model = record.model_name;
      h.promotion = static_cast<int>(record.header.promotion);
      break;
    case dump::Path::count_: break;
  }
  return h;
}

namespace {

Format format_of(uint32_t f) { return f == dump::kE5M2 ? Format::e5m2 : Format::e4m3; }

uint32_t bf16_round(uint32_t bits) {
  const float x = float_from_bits(bits);
  if (std::isnan(x)) return 0x7FFFFFFFu;
  return static_cast<uint32_t>(float_to_bf16(x)) << 16;
}

// cuBLASLt's epilogue: D = alpha*scale_a*scale_b*acc + beta*C, the scale product formed in FP32 and
// the update one fused multiply-add.
float epilogue(const dump::RecordHeader& h, float acc, float c) {
  const float scale = h.alpha * h.scale_a * h.scale_b;
  const float bc = h.beta * c;
  return std::fma(scale, acc, bc);
}

// Scales of a block-scaled record, rearranged into GemmScales' k-inner order.
GemmScales block_scales(const DumpRecord& r, ScaleLayout layout_a, ScaleLayout layout_b) {
  const int groups = static_cast<int>((r.header.k + 127u) / 128u);
  const int a_rows = static_cast<int>(r.header.m);
  const int b_rows = static_cast<int>((r.header.n + 127u) / 128u);
  GemmScales s;
  s.granularity = ScaleGranularity::deepseek;
  s.a.resize(r.scale_a.size());
  s.b.resize(r.scale_b.size());
  for (int row = 0; row < a_rows; ++row) {
    for (int g = 0; g < groups; ++g) {
      const size_t from = layout_a == ScaleLayout::k_inner ? static_cast<size_t>(row) * groups + g
                                                           : static_cast<size_t>(g) * a_rows + row;
      s.a[static_cast<size_t>(row) * groups + g] = r.scale_a[from];
    }
  }
  for (int row = 0; row < b_rows; ++row) {
    for (int g = 0; g < groups; ++g) {
      const size_t from = layout_b == ScaleLayout::k_inner ? static_cast<size_t>(row) * groups + g
                                                           : static_cast<size_t>(g) * b_rows + row;
      s.b[static_cast<size_t>(row) * groups + g] = r.scale_b[from];
    }
  }
  return s;
}

std::vector<uint32_t> sampled_outputs(const DumpRecord& r, const BlockFmaModel& model, const Hypothesis& h) {
  const dump::RecordHeader& hd = r.header;
  const bool e5m2 = hd.format_a == dump::kE5M2;
  const auto style = static_cast<probe::Style>(hd.input_style);
  std::map<uint32_t, std::vector<uint8_t>> a_rows, b_rows;
  auto row_of = [&](std::map<uint32_t, std::vector<uint8_t>>& cache, uint32_t matrix, uint32_t row) -> const std::vector<uint8_t>& {
    auto it = cache.find(row);
    if (it != cache.end()) return it->second;
    std::vector<uint8_t> v(hd.k);
    for (uint32_t k = 0; k < hd.k; ++k) v[k] = probe::generate_code(style, e5m2, hd.seed, matrix, row, k);
    return cache.emplace(row, std::move(v)).first->second;
  };
  std::vector<uint32_t> out;
  out.reserve(r.samples.size());
  GemmOptions options;
  options.promotion_interval = h.promotion;
  options.threads = 1;
  for (const DumpSample& s : r.samples) {
    GemmProblem p;
    p.m = 1;
    p.n = 1;
    p.k = static_cast<int>(hd.k);
    p.format = format_of(hd.format_a);
    p.a = row_of(a_rows, 0, s.i);
    p.b = row_of(b_rows, 1, s.j);
    out.push_back(float_bits(gemm(model, p, options)[0]));
  }
  return out;
}

}  // namespace

std::vector<uint32_t> model_outputs(const DumpRecord& r, const Hypothesis& h) {
  const dump::RecordHeader& hd = r.header;
  const BlockFmaModel model = preset(h.model);
  if (hd.format_a != hd.format_b) {
    throw UserError(r.file + ": record '" + r.name + "': mixed operand formats are not modelled");
  }
  if (h.promotion < 0) throw UserError("promotion interval must be 0 (never) or positive");
  if (r.sampled()) return sampled_outputs(r, model, h);

  const Format format = format_of(hd.format_a);
  const int m = static_cast<int>(hd.m), n = static_cast<int>(hd.n), k = static_cast<int>(hd.k);
  const auto c_mode = static_cast<dump::CMode>(hd.c_mode);
  std::vector<uint32_t> out(static_cast<size_t>(m) * n);
  // The order in which the path feeds K to its blocks (a permutation within each 32 elements).
  std::vector<int> order(static_cast<size_t>(k));
  for (int kk = 0; kk < k; ++kk) order[kk] = kk;
  if (h.k_order == "pairs") {
    if (k % 32 != 0) throw UserError("k-order pairs needs K to be a multiple of 32");
    for (int base = 0; base < k; base += 32) {
      int x = base;
      for (int half = 0; half < 2; ++half)
        for (int t = 0; t < 4; ++t)
          for (int q = 0; q < 2; ++q) {
            order[x++] = base + 4 * t + 2 * half + q;
            order[x++] = base + 16 + 4 * t + 2 * half + q;
          }
    }
  } else if (!h.k_order.empty()) {
    throw UserError("unknown k-order '" + h.k_order + "' (valid: pairs)");
  }
  if (c_mode == dump::CMode::accumulator) {
    // C is the accumulator the path starts from: one MMA chain over all of K from C (promotion 0),
    // or, every `promotion` elements, a chain from +0 added to the accumulator in FP32 (RN).
    std::vector<double> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
    for (int i = 0; i < m; ++i) {
      for (int kk = 0; kk < k; ++kk) a[kk] = decode(format, r.a[static_cast<size_t>(i) * k + order[kk]]);
      for (int j = 0; j < n; ++j) {
        for (int kk = 0; kk < k; ++kk) b[kk] = decode(format, r.b[static_cast<size_t>(j) * k + order[kk]]);
        const size_t o = static_cast<size_t>(i) * n + j;
        const float c = float_from_bits(r.c[o]);
        float d;
        if (h.promotion == 0) {
          d = dot(model, a.data(), b.data(), k, c, format);
        } else {
          d = c;
          for (int k0 = 0; k0 < k; k0 += h.promotion) {
            const int len = std::min(h.promotion, k - k0);
            d = std::fma(1.0f, dot(model, a.data() + k0, b.data() + k0, len, 0.0f, format), d);
          }
        }
        out[o] = float_bits(d);
      }
    }
    return out;
  }
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.format = format;
  p.a.resize(r.a.size());
  p.b.resize(r.b.size());
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk) p.a[static_cast<size_t>(i) * k + kk] = r.a[static_cast<size_t>(i) * k + order[kk]];
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) p.b[static_cast<size_t>(j) * k + kk] = r.b[static_cast<size_t>(j) * k + order[kk]];
  if (hd.scale_mode == static_cast<uint32_t>(dump::ScaleMode::a1x128_b128x128)) {
    p.scales = block_scales(r, h.scale_layout_a, h.scale_layout_b);
  }
  GemmOptions options;
  options.promotion_interval = h.promotion;
  const std::string problem = check_gemm(model, p, options);
  if (!problem.empty()) throw UserError("record '" + r.name + "' under " + h.str() + ": " + problem);
  const std::vector<float> acc = gemm(model, p, options);
  const bool block_scaled = hd.scale_mode == static_cast<uint32_t>(dump::ScaleMode::a1x128_b128x128);
  for (size_t o = 0; o < out.size(); ++o) {
    float d = acc[o];
    if (r.path() == dump::Path::cublaslt) {
      const float c = c_mode == dump::CMode::epilogue ? float_from_bits(r.c[o]) : 0.0f;
      if (block_scaled) {
        d = std::fma(hd.alpha, acc[o], hd.beta * c);
      } else {
        d = epilogue(hd, acc[o], c);
      }
    }
    out[o] = float_bits(d);
    if (hd.out_type == static_cast<uint32_t>(dump::OutType::bf16)) out[o] = bf16_round(out[o]);
  }
  return out;
}

CheckResult check_record(const DumpRecord& r, const Hypothesis& h, size_t max_mismatches) {
  const std::vector<uint32_t> model = model_outputs(r, h);
  CheckResult res;
  const size_t count = r.sampled() ? r.samples.size() : r.d.size();
  res.total = count;
  for (size_t o = 0; o < count; ++o) {
    const uint32_t gpu = r.sampled() ? r.samples[o].bits : r.d[o];
    if (gpu == model[o]) {
      ++res.matches;
    } else if (res.first.size() < max_mismatches) {
      const uint32_t i = r.sampled() ? r.samples[o].i : static_cast<uint32_t>(o / r.header.n);
      const uint32_t j = r.sampled() ? r.samples[o].j : static_cast<uint32_t>(o % r.header.n);
      res.first.push_back({i, j, gpu, model[o]});
    }
  }
  return res;
}

}  // namespace hwlab::numerics

// fp8_probe: runs real FP8 GEMMs through each hardware path and dumps inputs and outputs for
// `hwlab fp8 gemm-check` (format: isa/numerics/fp8_dump_format.h). Standalone: CUDA runtime and
// cuBLASLt only.
//
//   fp8_probe OUTDIR GROUP...     GROUP: mma (mma.sync FP8 and FP16), wgmma, cublaslt
//
// Writes OUTDIR/mma.bin, wgmma.bin, cublaslt_fast.bin, cublaslt_default.bin, cublaslt_block.bin and
// appends one line per record to OUTDIR/manifest.txt. Each group is meant to run as its own process
// (tools/device/fp8-probe.sh), so that a fault in one path cannot lose the others' dumps.
#include <cublasLt.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "isa/numerics/fp8_dump_format.h"
#include "isa/numerics/probe_inputs.h"
#include "kernels/numerics/cublaslt_probe.h"
#include "kernels/numerics/mma_probes.h"
#include "kernels/numerics/probe_util.h"

namespace kn = hwlab::kernels::numerics;
namespace dump = hwlab::numerics::dump;
namespace probe = hwlab::numerics::probe;

namespace {

struct Inputs {
  std::string what;  // "normal", "crafted", ...
  int m = 0, n = 0, k = 0;
  bool e5m2 = false;
  std::vector<uint8_t> a, b;
  std::vector<uint32_t> c;  // empty: no C
};

Inputs random_inputs(probe::Style style, bool e5m2, int m, int n, int k, uint64_t seed, bool with_c) {
  Inputs in{probe::style_name(style), m, n, k, e5m2, {}, {}, {}};
  in.a.resize(static_cast<size_t>(m) * k);
  in.b.resize(static_cast<size_t>(n) * k);
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk) in.a[static_cast<size_t>(i) * k + kk] = probe::generate_code(style, e5m2, seed, 0, i, kk);
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) in.b[static_cast<size_t>(j) * k + kk] = probe::generate_code(style, e5m2, seed, 1, j, kk);
  if (with_c) {
    in.c.resize(static_cast<size_t>(m) * n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) in.c[static_cast<size_t>(i) * n + j] = probe::generate_c_bits(seed, i, j);
  }
  return in;
}

// Crafted vectors on the diagonal: A row p and B row p hold crafted pair p (feature p / 8, variant
// p % 8), C[p][p] its C; the rows after the last feature hold random codes. Off-diagonal outputs mix
// crafted rows: further valid checks.
Inputs crafted_inputs(bool e5m2, int k, uint64_t seed) {
  const int m = 128, n = 128;
  Inputs in{"crafted", m, n, k, e5m2, {}, {}, {}};
  in.a.assign(static_cast<size_t>(m) * k, 0);
  in.b.assign(static_cast<size_t>(n) * k, 0);
  in.c.resize(static_cast<size_t>(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) in.c[static_cast<size_t>(i) * n + j] = probe::generate_c_bits(seed, i, j);
  const int crafted = static_cast<int>(probe::Crafted::count_) * probe::kCraftedVariants;
  for (int p = crafted; p < m; ++p) {
    for (int kk = 0; kk < k; ++kk) {
      in.a[static_cast<size_t>(p) * k + kk] = probe::generate_code(probe::Style::codes, e5m2, seed, 0, p, kk);
      in.b[static_cast<size_t>(p) * k + kk] = probe::generate_code(probe::Style::codes, e5m2, seed, 1, p, kk);
    }
  }
  for (int p = 0; p < crafted; ++p) {
    const auto what = static_cast<probe::Crafted>(p / probe::kCraftedVariants);
    uint32_t c_bits = 0;
    probe::crafted_pair(what, p % probe::kCraftedVariants, e5m2, k, &in.a[static_cast<size_t>(p) * k],
                        &in.b[static_cast<size_t>(p) * k], &c_bits);
    in.c[static_cast<size_t>(p) * n + p] = c_bits;
  }
  return in;
}

Inputs promotion_probe_inputs(int k) {
  const int m = 128, n = 128;
  Inputs in{"promotion-probe", m, n, k, false, {}, {}, {}};
  in.a.resize(static_cast<size_t>(m) * k);
  in.b.resize(static_cast<size_t>(n) * k);
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk) in.a[static_cast<size_t>(i) * k + kk] = probe::promotion_probe_a(false, i, kk, k);
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) in.b[static_cast<size_t>(j) * k + kk] = probe::promotion_probe_b(false, j, n);
  return in;
}

struct DumpFile {
  std::string path;
  std::string body;
  uint32_t records = 0;
  void add(const dump::RecordHeader& h, const Inputs& in, const std::vector<float>& sa, const std::vector<float>& sb,
           const std::vector<uint32_t>& d) {
    dump::append_record(body, h, in.a.data(), in.b.data(), sa.data(), sb.data(), in.c.empty() ? nullptr : in.c.data(),
                        d.data());
    ++records;
  }
  void add_sampled(const dump::RecordHeader& h, const std::vector<uint32_t>& samples) {
    dump::append_sampled(body, h, samples.data());
    ++records;
  }
  void write(FILE* manifest) const {
    if (records == 0) return;
    kn::write_binary(path, dump::file_header(records) + body);
    std::fprintf(manifest, "# %s: %u records, %zu bytes\n", path.c_str(), records, body.size() + dump::kFileHeaderBytes);
  }
};

std::vector<float> as_floats(const std::vector<uint32_t>& bits) {
  std::vector<float> f(bits.size());
  std::memcpy(f.data(), bits.data(), bits.size() * 4);
  return f;
}

// Normwise relative error of d against a double reference of A B^T + C (a sanity check of the
// kernel's layouts, not of its rounding).
double sanity_error(const Inputs& in, const std::vector<uint32_t>& d) {
  double num = 0, den = 0;
  for (int i = 0; i < in.m; ++i) {
    for (int j = 0; j < in.n; ++j) {
      double s = 0;
      if (!in.c.empty()) {
        float c;
        std::memcpy(&c, &in.c[static_cast<size_t>(i) * in.n + j], 4);
        s = c;
      }
      for (int kk = 0; kk < in.k; ++kk) {
        s += probe::fp8_value(in.e5m2, in.a[static_cast<size_t>(i) * in.k + kk]) *
             probe::fp8_value(in.e5m2, in.b[static_cast<size_t>(j) * in.k + kk]);
      }
      float got;
      std::memcpy(&got, &d[static_cast<size_t>(i) * in.n + j], 4);
      num += (got - s) * (got - s);
      den += s * s;
    }
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

enum class Mma { sync_fp8, sync_fp16, wgmma };
bool g_wgmma_swap = false;

std::vector<uint32_t> run_mma(Mma kind, const Inputs& in) {
  kn::DeviceBuffer<uint8_t> a(in.a.size()), b(in.b.size());
  kn::DeviceBuffer<float> c(in.c.size() ? in.c.size() : 1), d(static_cast<size_t>(in.m) * in.n);
  a.upload(in.a);
  b.upload(in.b);
  const float* c_ptr = nullptr;
  if (!in.c.empty()) {
    c.upload(as_floats(in.c));
    c_ptr = c.ptr;
  }
  d.poison();
  switch (kind) {
    case Mma::sync_fp8: kn::mma_sync_fp8(in.e5m2, a.ptr, b.ptr, c_ptr, d.ptr, in.m, in.n, in.k); break;
    case Mma::sync_fp16: kn::mma_sync_fp16(in.e5m2, a.ptr, b.ptr, c_ptr, d.ptr, in.m, in.n, in.k); break;
    case Mma::wgmma: kn::wgmma_fp8(in.e5m2, a.ptr, b.ptr, c_ptr, d.ptr, in.m, in.n, in.k, g_wgmma_swap); break;
  }
  const std::vector<float> out = d.download();
  std::vector<uint32_t> bits(out.size());
  std::memcpy(bits.data(), out.data(), out.size() * 4);
  return bits;
}

void record_mma(DumpFile& file, FILE* manifest, Mma kind, const Inputs& in) {
  const char* path_text = kind == Mma::sync_fp8 ? "mma.sync" : kind == Mma::sync_fp16 ? "mma.sync-fp16" : "wgmma";
  const dump::Path path = kind == Mma::sync_fp8 ? dump::Path::mma_sync_fp8
                          : kind == Mma::sync_fp16 ? dump::Path::mma_sync_fp16 : dump::Path::wgmma_fp8;
  char name[64];
  std::snprintf(name, sizeof name, "%s/%s/%s/k%d/%s", path_text, in.e5m2 ? "e5m2" : "e4m3", in.what.c_str(), in.k,
                in.c.empty() ? "c0" : "c");
  dump::RecordHeader h = dump::make_header(name, path);
  h.format_a = h.format_b = in.e5m2 ? dump::kE5M2 : dump::kE4M3;
  h.m = static_cast<uint32_t>(in.m);
  h.n = static_cast<uint32_t>(in.n);
  h.k = static_cast<uint32_t>(in.k);
  h.c_mode = static_cast<uint32_t>(in.c.empty() ? dump::CMode::none : dump::CMode::accumulator);
  const std::vector<uint32_t> d = run_mma(kind, in);
  file.add(h, in, {}, {}, d);
  std::fprintf(manifest, "%s %s m=%d n=%d k=%d sanity_rel_err=%.3g\n", file.path.c_str(), name, in.m, in.n, in.k,
               sanity_error(in, d));
}

std::vector<Inputs> mma_input_sets(bool e5m2, uint64_t seed) {
  std::vector<Inputs> sets;
  sets.push_back(random_inputs(probe::Style::codes, e5m2, 64, 64, 32, seed + 1, true));
  sets.push_back(random_inputs(probe::Style::codes, e5m2, 64, 64, 32, seed + 2, false));
  sets.push_back(random_inputs(probe::Style::normal, e5m2, 64, 64, 256, seed + 3, true));
  sets.push_back(random_inputs(probe::Style::normal, e5m2, 64, 64, 256, seed + 4, false));
  sets.push_back(random_inputs(probe::Style::codes, e5m2, 128, 64, 1024, seed + 5, true));
  sets.push_back(crafted_inputs(e5m2, 32, seed + 6));
  sets.push_back(crafted_inputs(e5m2, 128, seed + 7));
  sets.push_back(random_inputs(probe::Style::specials, e5m2, 64, 64, 32, seed + 8, true));
  return sets;
}

void group_mma(const std::string& dir, FILE* manifest) {
  DumpFile file{dir + "/mma.bin", {}, 0};
  for (bool e5m2 : {false, true}) {
    for (const Inputs& in : mma_input_sets(e5m2, 100)) record_mma(file, manifest, Mma::sync_fp8, in);
  }
  for (bool e5m2 : {false, true}) {
    for (const Inputs& in : mma_input_sets(e5m2, 200)) record_mma(file, manifest, Mma::sync_fp16, in);
  }
  file.write(manifest);
}

void group_wgmma(const std::string& dir, FILE* manifest) {
  // Which descriptor convention computes a product: try ours, then the swapped one.
  const Inputs check = random_inputs(probe::Style::normal, false, 64, 64, 64, 7, false);
  for (bool swap : {false, true}) {
    g_wgmma_swap = swap;
    const double err = sanity_error(check, run_mma(Mma::wgmma, check));
    std::fprintf(manifest, "# wgmma descriptor %s: sanity_rel_err=%.3g\n", swap ? "LBO/SBO swapped" : "LBO = K stride", err);
    if (err < 1e-2) break;
    if (swap) {
      std::fprintf(manifest, "# wgmma: no descriptor convention computes the product; no records\n");
      return;
    }
  }
  DumpFile file{dir + "/wgmma.bin", {}, 0};
  for (bool e5m2 : {false, true}) {
    for (const Inputs& in : mma_input_sets(e5m2, 100)) record_mma(file, manifest, Mma::wgmma, in);
  }
  file.write(manifest);
}

struct LtCase {
  Inputs in;
  bool fast = false;
  float scale_a = 1, scale_b = 1, beta = 0;
  bool block = false;
  bool block_pow2 = false;
};

void record_lt(DumpFile& file, FILE* manifest, cublasLtHandle_t lt, const LtCase& cs, uint64_t seed) {
  const Inputs& in = cs.in;
  kn::DeviceBuffer<uint8_t> a(in.a.size()), b(in.b.size());
  a.upload(in.a);
  b.upload(in.b);
  const int groups = (in.k + 127) / 128;
  std::vector<float> sa(1, cs.scale_a), sb(1, cs.scale_b);
  if (cs.block) {
    sa.resize(static_cast<size_t>(in.m) * groups);
    sb.resize(static_cast<size_t>((in.n + 127) / 128) * groups);
    for (size_t x = 0; x < sa.size() + sb.size(); ++x) {
      const uint64_t h = probe::splitmix64(seed * 1000003u + x);
      const float v = cs.block_pow2 ? std::ldexp(1.0f, static_cast<int>(h % 7) - 3)
                                    : 0.25f + 1.75f * static_cast<float>(probe::unit(h));
      (x < sa.size() ? sa[x] : sb[x - sa.size()]) = v;
    }
  }
  kn::DeviceBuffer<float> dsa(sa.size()), dsb(sb.size());
  dsa.upload(sa);
  dsb.upload(sb);
  kn::LtGemm g;
  g.m = in.m;
  g.n = in.n;
  g.k = in.k;
  g.fast_accum = cs.fast;
  g.a = a.ptr;
  g.b = b.ptr;
  g.block_scaled = cs.block;
  g.scale_a = dsa.ptr;
  g.scale_b = dsb.ptr;
  g.beta = cs.beta;
  const std::vector<float> c = as_floats(in.c);
  g.c_rowmajor = in.c.empty() ? nullptr : c.data();
  char name[64];
  std::snprintf(name, sizeof name, "cublaslt/fast%d/%s/k%d%s%s", cs.fast ? 1 : 0, in.what.c_str(), in.k,
                cs.beta != 0 ? "/c" : "",
                cs.block ? (cs.block_pow2 ? "/blk-pow2" : "/blk")
                         : (cs.scale_a != 1 || cs.scale_b != 1) ? (cs.scale_a == 0.5f ? "/scaled-pow2" : "/scaled") : "");
  const kn::LtResult r = kn::run_cublaslt(lt, g);
  if (!r.ok) {
    std::fprintf(manifest, "# %s: cuBLASLt refused: %s\n", name, r.error.c_str());
    return;
  }
  dump::RecordHeader h = dump::make_header(name, dump::Path::cublaslt);
  dump::set_text(h.library, sizeof h.library, r.algo);
  h.format_a = h.format_b = dump::kE4M3;
  h.m = static_cast<uint32_t>(in.m);
  h.n = static_cast<uint32_t>(in.n);
  h.k = static_cast<uint32_t>(in.k);
  h.c_mode = static_cast<uint32_t>(cs.beta != 0 ? dump::CMode::epilogue : dump::CMode::none);
  h.fast_accum = cs.fast ? 1 : 0;
  h.scale_mode = static_cast<uint32_t>(cs.block ? dump::ScaleMode::a1x128_b128x128 : dump::ScaleMode::per_tensor);
  h.out_type = static_cast<uint32_t>(r.bf16_out ? dump::OutType::bf16 : dump::OutType::fp32);
  h.beta = cs.beta;
  if (cs.block) {
    h.n_scale_a = static_cast<uint32_t>(sa.size());
    h.n_scale_b = static_cast<uint32_t>(sb.size());
  } else {
    h.scale_a = cs.scale_a;
    h.scale_b = cs.scale_b;
  }
  file.add(h, in, cs.block ? sa : std::vector<float>{}, cs.block ? sb : std::vector<float>{}, r.d);
  std::fprintf(manifest, "%s %s m=%d n=%d k=%d %s%s\n", file.path.c_str(), name, in.m, in.n, in.k, r.algo.c_str(),
               r.bf16_out ? " bf16-out" : "");
}

// A full-size GEMM (the library picks its large-tile kernels): inputs regenerated from the seed by
// gemm-check, 1024 outputs sampled.
void record_lt_large(DumpFile& file, FILE* manifest, cublasLtHandle_t lt, bool fast, int size, uint64_t seed) {
  const Inputs in = random_inputs(probe::Style::normal, false, size, size, size, seed, false);
  kn::DeviceBuffer<uint8_t> a(in.a.size()), b(in.b.size());
  a.upload(in.a);
  b.upload(in.b);
  kn::DeviceBuffer<float> one(1);
  one.upload({1.0f});
  kn::LtGemm g;
  g.m = g.n = g.k = size;
  g.fast_accum = fast;
  g.a = a.ptr;
  g.b = b.ptr;
  g.scale_a = g.scale_b = one.ptr;
  char name[64];
  std::snprintf(name, sizeof name, "cublaslt/fast%d/normal/%dcubed/sampled", fast ? 1 : 0, size);
  const kn::LtResult r = kn::run_cublaslt(lt, g);
  if (!r.ok) {
    std::fprintf(manifest, "# %s: cuBLASLt refused: %s\n", name, r.error.c_str());
    return;
  }
  std::vector<uint32_t> samples;
  for (uint32_t x = 0; x < 1024; ++x) {
    const uint64_t h = probe::splitmix64(seed * 31u + x);
    const uint32_t i = static_cast<uint32_t>(h % static_cast<uint64_t>(size));
    const uint32_t j = static_cast<uint32_t>((h >> 32) % static_cast<uint64_t>(size));
    samples.insert(samples.end(), {i, j, r.d[static_cast<size_t>(i) * size + j]});
  }
  dump::RecordHeader h = dump::make_header(name, dump::Path::cublaslt);
  dump::set_text(h.library, sizeof h.library, r.algo);
  h.kind = static_cast<uint32_t>(dump::RecordKind::sampled);
  h.m = h.n = h.k = static_cast<uint32_t>(size);
  h.fast_accum = fast ? 1 : 0;
  h.n_samples = 1024;
  h.input_style = static_cast<uint32_t>(probe::Style::normal);
  h.seed = seed;
  file.add_sampled(h, samples);
  std::fprintf(manifest, "%s %s sampled 1024 %s\n", file.path.c_str(), name, r.algo.c_str());
}

void group_cublaslt(const std::string& dir, FILE* manifest) {
  cublasLtHandle_t lt;
  if (cublasLtCreate(&lt) != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(manifest, "# cublasLtCreate failed\n");
    return;
  }
  std::fprintf(manifest, "# cuBLASLt version %zu\n", cublasLtGetVersion());
  for (bool fast : {true, false}) {
    DumpFile file{dir + (fast ? "/cublaslt_fast.bin" : "/cublaslt_default.bin"), {}, 0};
    uint64_t seed = fast ? 300 : 400;
    for (int k : {256, 1024, 4096, 16384}) {
      record_lt(file, manifest, lt, {random_inputs(probe::Style::normal, false, 128, 128, k, ++seed, false), fast}, seed);
    }
    record_lt(file, manifest, lt, {random_inputs(probe::Style::codes, false, 128, 128, 1024, ++seed, false), fast}, seed);
    record_lt(file, manifest, lt, {promotion_probe_inputs(4096), fast}, seed);
    record_lt_large(file, manifest, lt, fast, 4096, 600 + (fast ? 1 : 0));
    if (!fast) {
      record_lt(file, manifest, lt, {promotion_probe_inputs(16384), fast}, seed);
      record_lt(file, manifest, lt, {random_inputs(probe::Style::activation, false, 128, 128, 4096, ++seed, false), fast}, seed);
      record_lt(file, manifest, lt, {random_inputs(probe::Style::normal, false, 128, 128, 1024, ++seed, true), fast, 1, 1, 1.0f}, seed);
      record_lt(file, manifest, lt, {random_inputs(probe::Style::normal, false, 128, 128, 1024, ++seed, false), fast, 0.5f, 4.0f}, seed);
      record_lt(file, manifest, lt, {random_inputs(probe::Style::normal, false, 128, 128, 1024, ++seed, false), fast, 0.3f, 1.7f}, seed);
    }
    file.write(manifest);
  }
  DumpFile block{dir + "/cublaslt_block.bin", {}, 0};
  for (bool pow2 : {true, false}) {
    LtCase cs{random_inputs(probe::Style::normal, false, 256, 256, 1024, pow2 ? 501 : 502, false), false};
    cs.block = true;
    cs.block_pow2 = pow2;
    record_lt(block, manifest, lt, cs, pow2 ? 501 : 502);
  }
  block.write(manifest);
  cublasLtDestroy(lt);
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: fp8_probe OUTDIR GROUP...   (GROUP: mma, wgmma, cublaslt)\n");
    return 2;
  }
  const std::string dir = argv[1];
  FILE* manifest = std::fopen((dir + "/manifest.txt").c_str(), "a");
  if (!manifest) {
    std::fprintf(stderr, "cannot open %s/manifest.txt\n", dir.c_str());
    return 2;
  }
  std::fprintf(manifest, "# device: %s\n", kn::device_line().c_str());
  for (int i = 2; i < argc; ++i) {
    const std::string group = argv[i];
    std::fprintf(manifest, "# group %s\n", group.c_str());
    std::fflush(manifest);
    if (group == "mma") {
      group_mma(dir, manifest);
    } else if (group == "wgmma") {
      group_wgmma(dir, manifest);
    } else if (group == "cublaslt") {
      group_cublaslt(dir, manifest);
    } else {
      std::fprintf(stderr, "unknown group '%s' (mma, wgmma, cublaslt)\n", group.c_str());
      return 2;
    }
    std::fflush(manifest);
  }
  std::fclose(manifest);
  return 0;
}

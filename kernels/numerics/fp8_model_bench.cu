// fp8_model_bench: the CUDA implementation of the numerics models (model_gemm.h) on real GPUs.
//
//   fp8_model_bench OUTDIR [SIZE]
//
// 1. Bit check: for each preset, a 256 x 256 x 2048 GEMM dumped in full (OUTDIR/cuda_model.bin,
//    checked by `hwlab fp8 gemm-check`), and a SIZE x SIZE x SIZE GEMM (default 2048) whose inputs
//    are regenerated from their seed on the CPU, with 256 sampled outputs dumped.
// 2. Rate: the SIZE^3 model GEMMs timed with events, against cuBLASLt FP8 (8192^3, fast accumulation
//    on and off) measured in the same process. Prints a table; appends to OUTDIR/manifest.txt.
#include <cublasLt.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "isa/numerics/fp8_dump_format.h"
#include "isa/numerics/probe_inputs.h"
#include "kernels/numerics/cublaslt_probe.h"
#include "kernels/numerics/model_gemm.h"
#include "kernels/numerics/probe_util.h"

namespace kn = hwlab::kernels::numerics;
namespace dump = hwlab::numerics::dump;
namespace probe = hwlab::numerics::probe;

namespace {

struct Case {
  const char* preset;
  int promotion;
  bool e5m2;
  bool timed;
};

std::vector<uint8_t> generate(bool e5m2, uint64_t seed, uint32_t matrix, int rows, int k) {
  std::vector<uint8_t> v(static_cast<size_t>(rows) * k);
  for (int r = 0; r < rows; ++r)
    for (int kk = 0; kk < k; ++kk)
      v[static_cast<size_t>(r) * k + kk] = probe::generate_code(probe::Style::normal, e5m2, seed, matrix, r, kk);
  return v;
}

// Random E4M3 codes without NaN, quickly (for the native-rate timing only).
std::vector<uint8_t> random_codes(size_t count, uint64_t seed) {
  std::vector<uint8_t> v(count);
  for (size_t w = 0; w < count; w += 8) {
    const uint64_t h = probe::splitmix64(seed + w);
    for (size_t q = 0; q < 8 && w + q < count; ++q) {
      const uint8_t c = static_cast<uint8_t>(h >> (8 * q));
      v[w + q] = (c & 0x7F) == 0x7F ? static_cast<uint8_t>(c - 1) : c;
    }
  }
  return v;
}

double time_model(const kn::ModelGemmConfig& cfg, bool e5m2, const kn::DeviceBuffer<uint8_t>& a,
                  const kn::DeviceBuffer<uint8_t>& b, kn::DeviceBuffer<float>& d, int size, int promotion) {
  cudaEvent_t e0, e1;
  PROBE_CUDA(cudaEventCreate(&e0));
  PROBE_CUDA(cudaEventCreate(&e1));
  std::vector<float> ms;
  for (int rep = 0; rep < 2; ++rep) {  // the first run also warms up
    PROBE_CUDA(cudaEventRecord(e0));
    kn::model_gemm(cfg, e5m2, a.ptr, b.ptr, d.ptr, size, size, size, promotion, 1.0f);
    PROBE_CUDA(cudaEventRecord(e1));
    PROBE_LAUNCHED("model_gemm");
    float t = 0;
    PROBE_CUDA(cudaEventElapsedTime(&t, e0, e1));
    ms.push_back(t);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return *std::min_element(ms.begin(), ms.end());
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: fp8_model_bench OUTDIR [SIZE]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int size = argc > 2 ? std::atoi(argv[2]) : 2048;
  if (size < 64 || size % 64 != 0) {
    std::fprintf(stderr, "SIZE must be a positive multiple of 64\n");
    return 2;
  }
  FILE* manifest = std::fopen((dir + "/manifest.txt").c_str(), "a");
  if (!manifest) return 2;
  const std::string device = kn::device_line();
  std::fprintf(manifest, "# fp8_model_bench on %s\n", device.c_str());

  const Case cases[] = {{"h100-fp8", 128, false, true},  {"h100-fp8", 0, false, false},
                        {"h100-fp8", 128, true, false},  {"ada-fp8", 128, false, false},
                        {"acc-16", 128, false, true},    {"acc-10", 0, false, false},
                        {"h100-fp8,align=floor", 128, false, false}, {"fp32-fma", 128, false, true}};
  std::string body;
  uint32_t records = 0;
  struct Rate {
    std::string preset;
    double tflops;
  };
  std::vector<Rate> rates;
  const int sm = 256, sk = 2048;
  for (const Case& cs : cases) {
    kn::ModelGemmConfig cfg;
    if (!kn::model_gemm_config(cs.preset, cfg)) {
      std::fprintf(stderr, "no CUDA model for %s\n", cs.preset);
      return 1;
    }
    {  // full dump, small
      const uint64_t seed = 900 + records;
      std::vector<uint8_t> ha = generate(cs.e5m2, seed, 0, sm, sk), hb = generate(cs.e5m2, seed, 1, sm, sk);
      kn::DeviceBuffer<uint8_t> a(ha.size()), b(hb.size());
      kn::DeviceBuffer<float> d(static_cast<size_t>(sm) * sm);
      a.upload(ha);
      b.upload(hb);
      d.poison();
      kn::model_gemm(cfg, cs.e5m2, a.ptr, b.ptr, d.ptr, sm, sm, sk, cs.promotion, 1.0f);
      PROBE_LAUNCHED("model_gemm");
      const std::vector<float> out = d.download();
      char name[64];
      std::snprintf(name, sizeof name, "cuda-model/%s/%s/normal/k%d/nc%d", cs.preset, cs.e5m2 ? "e5m2" : "e4m3", sk,
                    cs.promotion);
      dump::RecordHeader h = dump::make_header(name, dump::Path::cuda_model);
      dump::set_text(h.model_name, sizeof h.model_name, cs.preset);
      h.format_a = h.format_b = cs.e5m2 ? dump::kE5M2 : dump::kE4M3;
      h.m = h.n = sm;
      h.k = sk;
      h.promotion = static_cast<uint32_t>(cs.promotion);
      std::vector<uint32_t> bits(out.size());
      std::memcpy(bits.data(), out.data(), out.size() * 4);
      dump::append_record(body, h, ha.data(), hb.data(), nullptr, nullptr, nullptr, bits.data());
      ++records;
      std::fprintf(manifest, "%s/cuda_model.bin %s m=%d n=%d k=%d\n", dir.c_str(), name, sm, sm, sk);
    }
    if (!cs.timed) continue;
    // Full size: timed, 256 outputs sampled for the CPU check.
    const uint64_t seed = 7000 + records;
    std::vector<uint8_t> ha = generate(cs.e5m2, seed, 0, size, size), hb = generate(cs.e5m2, seed, 1, size, size);
    kn::DeviceBuffer<uint8_t> a(ha.size()), b(hb.size());
    kn::DeviceBuffer<float> d(static_cast<size_t>(size) * size);
    a.upload(ha);
    b.upload(hb);
    d.poison();
    const double ms = time_model(cfg, cs.e5m2, a, b, d, size, cs.promotion);
    const double tflops = 2.0 * size * static_cast<double>(size) * size / (ms * 1e-3) / 1e12;
    rates.push_back({cs.preset, tflops});
    const std::vector<float> out = d.download();
    std::vector<uint32_t> samples;
    for (uint32_t s = 0; s < 256; ++s) {
      const uint64_t hsh = probe::splitmix64(seed * 7919u + s);
      const uint32_t i = static_cast<uint32_t>(hsh % static_cast<uint64_t>(size));
      const uint32_t j = static_cast<uint32_t>((hsh >> 32) % static_cast<uint64_t>(size));
      uint32_t bits;
      std::memcpy(&bits, &out[static_cast<size_t>(i) * size + j], 4);
      samples.insert(samples.end(), {i, j, bits});
    }
    char name[64];
    std::snprintf(name, sizeof name, "cuda-model/%s/%s/normal/%dcubed/nc%d/sampled", cs.preset,
                  cs.e5m2 ? "e5m2" : "e4m3", size, cs.promotion);
    dump::RecordHeader h = dump::make_header(name, dump::Path::cuda_model);
    dump::set_text(h.model_name, sizeof h.model_name, cs.preset);
    h.kind = static_cast<uint32_t>(dump::RecordKind::sampled);
    h.format_a = h.format_b = cs.e5m2 ? dump::kE5M2 : dump::kE4M3;
    h.m = h.n = h.k = static_cast<uint32_t>(size);
    h.promotion = static_cast<uint32_t>(cs.promotion);
    h.n_samples = 256;
    h.input_style = static_cast<uint32_t>(probe::Style::normal);
    h.seed = seed;
    dump::append_sampled(body, h, samples.data());
    ++records;
    std::fprintf(manifest, "%s/cuda_model.bin %s %.3f ms %.2f TFLOP/s-equivalent\n", dir.c_str(), name, ms, tflops);
  }
  kn::write_binary(dir + "/cuda_model.bin", dump::file_header(records) + body);

  // Native FP8 rate: cuBLASLt, 8192^3, random normal E4M3 inputs.
  cublasLtHandle_t lt;
  PROBE_CUDA(cublasLtCreate(&lt) == CUBLAS_STATUS_SUCCESS ? cudaSuccess : cudaErrorUnknown);
  const int nn = 8192;
  std::vector<uint8_t> ha = random_codes(static_cast<size_t>(nn) * nn, 42), hb = random_codes(static_cast<size_t>(nn) * nn, 43);
  kn::DeviceBuffer<uint8_t> a(ha.size()), b(hb.size());
  a.upload(ha);
  b.upload(hb);
  kn::DeviceBuffer<float> one(1);
  one.upload({1.0f});
  double native[2] = {0, 0};
  for (int fast = 0; fast < 2; ++fast) {
    kn::LtGemm g;
    g.m = g.n = g.k = nn;
    g.fast_accum = fast != 0;
    g.a = a.ptr;
    g.b = b.ptr;
    g.scale_a = one.ptr;
    g.scale_b = one.ptr;
    const kn::LtResult r = kn::run_cublaslt(lt, g, 20);
    if (!r.ok) {
      std::fprintf(manifest, "# cuBLASLt 8192^3 fast=%d failed: %s\n", fast, r.error.c_str());
      continue;
    }
    native[fast] = 2.0 * nn * static_cast<double>(nn) * nn / (r.median_ms * 1e-3) / 1e12;
    std::fprintf(manifest, "# cuBLASLt FP8 8192^3 fast_accum=%d: %.3f ms median of 20, %.1f TFLOP/s (%s)\n", fast,
                 r.median_ms, native[fast], r.algo.c_str());
  }
  cublasLtDestroy(lt);
  std::printf("# CUDA model vs native FP8 (cuBLASLt 8192^3) on %s\n", device.c_str());
  std::printf("# native: fast accumulation %.1f TFLOP/s, default %.1f TFLOP/s\n", native[1], native[0]);
  std::printf("%-24s %8s %14s %12s\n", "preset", "size", "TFLOP/s-eq", "% of native");
  for (const Rate& r : rates) {
    const double best = std::max(native[0], native[1]);
    std::printf("%-24s %8d %14.2f %11.2f%%\n", r.preset.c_str(), size, r.tflops, best > 0 ? 100.0 * r.tflops / best : 0.0);
    std::fprintf(manifest, "# rate %s %d^3: %.2f TFLOP/s-eq, %.2f%% of native (fast accumulation)\n", r.preset.c_str(),
                 size, r.tflops, best > 0 ? 100.0 * r.tflops / best : 0.0);
  }
  std::fclose(manifest);
  return 0;
}

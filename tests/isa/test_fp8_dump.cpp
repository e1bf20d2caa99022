// FP8 probe dumps: synthetic dumps written here from the CPU models round-trip through the reader and
// match 100 %; one flipped bit is reported as exactly one mismatch at the right place; malformed
// files are refused with the file name and the byte offset.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/fp8_dump.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "isa/numerics/probe_inputs.h"

using namespace hwlab::numerics;

namespace {

struct Synthetic {
  dump::RecordHeader h;
  std::vector<uint8_t> a, b;
  std::vector<float> sa, sb;
  std::vector<uint32_t> c, d;
};

Synthetic random_record(const char* name, dump::Path path, int m, int n, int k, probe::Style style, uint64_t seed) {
  Synthetic s{dump::make_header(name, path), {}, {}, {}, {}, {}, {}};
  s.h.m = static_cast<uint32_t>(m);
  s.h.n = static_cast<uint32_t>(n);
  s.h.k = static_cast<uint32_t>(k);
  s.a.resize(static_cast<size_t>(m) * k);
  s.b.resize(static_cast<size_t>(n) * k);
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; ++kk) s.a[static_cast<size_t>(i) * k + kk] = probe::generate_code(style, false, seed, 0, i, kk);
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) s.b[static_cast<size_t>(j) * k + kk] = probe::generate_code(style, false, seed, 1, j, kk);
  return s;
}

// A wgmma record with C fed to the MMA: D from dot() chains, computed here independently of
// fp8_dump.cpp.
Synthetic mma_record() {
  Synthetic s = random_record("wgmma/e4m3/codes/k64/c", dump::Path::wgmma_fp8, 16, 8, 64, probe::Style::codes, 5);
  s.h.c_mode = static_cast<uint32_t>(dump::CMode::accumulator);
  const BlockFmaModel model = preset("h100-fp8");
  for (uint32_t i = 0; i < 16; ++i) {
    for (uint32_t j = 0; j < 8; ++j) {
      const uint32_t c = probe::generate_c_bits(9, i, j);
      std::vector<double> a(64), b(64);
      for (int kk = 0; kk < 64; ++kk) {
        a[kk] = decode(Format::e4m3, s.a[i * 64 + kk]);
        b[kk] = decode(Format::e4m3, s.b[j * 64 + kk]);
      }
      s.c.push_back(c);
      s.d.push_back(float_bits(dot(model, a.data(), b.data(), 64, float_from_bits(c), Format::e4m3)));
    }
  }
  return s;
}

// A cuBLASLt default-mode record with C in the epilogue: gemm() with the default interval, plus C.
Synthetic lt_record() {
  Synthetic s = random_record("cublaslt/fast0/normal/k512/c", dump::Path::cublaslt, 16, 16, 512, probe::Style::normal, 6);
  s.h.c_mode = static_cast<uint32_t>(dump::CMode::epilogue);
  s.h.beta = 1.0f;
  GemmProblem p;
  p.m = p.n = 16;
  p.k = 512;
  p.a = s.a;
  p.b = s.b;
  GemmOptions o;
  o.promotion_interval = kCublasLtPromotion;
  const std::vector<float> acc = gemm(preset("h100-fp8"), p, o);
  for (size_t x = 0; x < acc.size(); ++x) {
    const uint32_t c = probe::generate_c_bits(11, static_cast<uint32_t>(x / 16), static_cast<uint32_t>(x % 16));
    s.c.push_back(c);
    s.d.push_back(float_bits(acc[x] + float_from_bits(c)));
  }
  return s;
}

std::string file_of(const std::vector<Synthetic>& records) {
  std::string body = dump::file_header(static_cast<uint32_t>(records.size()));
  for (const Synthetic& s : records) {
    dump::append_record(body, s.h, s.a.data(), s.b.data(), s.sa.data(), s.sb.data(), s.c.empty() ? nullptr : s.c.data(),
                        s.d.data());
  }
  return body;
}

void require_user_error(const std::string& bytes, const std::string& needle) {
  try {
    parse_dump(bytes, "probe.bin");
    FAIL("no error for: " << needle);
  } catch (const hwlab::UserError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind("probe.bin: offset ", 0) == 0);
    CHECK(what.find(needle) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("synthetic dumps written from the models match 100 %", "[fp8dump]") {
  const std::string bytes = file_of({mma_record(), lt_record()});
  const std::vector<DumpRecord> records = parse_dump(bytes, "synthetic.bin");
  REQUIRE(records.size() == 2);
  CHECK(records[0].name == "wgmma/e4m3/codes/k64/c");
  CHECK(records[1].offset == dump::kFileHeaderBytes + dump::kRecordHeaderBytes + 16 * 64 + 8 * 64 + 4 * 128 * 2);
  for (const DumpRecord& r : records) {
    const CheckResult res = check_record(r, default_hypothesis(r));
    CHECK(res.total == r.d.size());
    CHECK(res.matches == res.total);
  }
  // The wrong hypothesis is visible: never promoting, or C added after the products.
  Hypothesis never = default_hypothesis(records[1]);
  never.promotion = 0;
  CHECK(check_record(records[1], never).matches < records[1].d.size());
  Hypothesis after = default_hypothesis(records[0]);
  after.model = "h100-fp8,c=after";
  CHECK(check_record(records[0], after).matches < records[0].d.size());
}

TEST_CASE("one flipped bit is reported as one mismatch at its place", "[fp8dump]") {
  std::vector<Synthetic> recs{lt_record()};
  recs[0].d[37] ^= 1u;  // output (2, 5) of 16 x 16
  const std::vector<DumpRecord> records = parse_dump(file_of(recs), "corrupt.bin");
  const CheckResult res = check_record(records[0], default_hypothesis(records[0]));
  CHECK(res.matches == res.total - 1);
  REQUIRE(res.first.size() == 1);
  CHECK(res.first[0].i == 2);
  CHECK(res.first[0].j == 5);
  CHECK((res.first[0].gpu_bits ^ res.first[0].model_bits) == 1u);
}

TEST_CASE("sampled records regenerate their inputs from the seed", "[fp8dump]") {
  dump::RecordHeader h = dump::make_header("cuda-model/h100-fp8/sampled", dump::Path::cuda_model);
  dump::set_text(h.model_name, sizeof h.model_name, "h100-fp8");
  h.kind = static_cast<uint32_t>(dump::RecordKind::sampled);
  h.m = h.n = 64;
  h.k = 256;
  h.promotion = 128;
  h.seed = 77;
  h.input_style = static_cast<uint32_t>(probe::Style::normal);
  h.n_samples = 3;
  GemmProblem p;
  p.m = p.n = 64;
  p.k = 256;
  for (uint32_t i = 0; i < 64; ++i)
    for (uint32_t kk = 0; kk < 256; ++kk) p.a.push_back(probe::generate_code(probe::Style::normal, false, 77, 0, i, kk));
  for (uint32_t j = 0; j < 64; ++j)
    for (uint32_t kk = 0; kk < 256; ++kk) p.b.push_back(probe::generate_code(probe::Style::normal, false, 77, 1, j, kk));
  GemmOptions o;
  o.promotion_interval = 128;
  const std::vector<float> d = gemm(preset("h100-fp8"), p, o);
  const uint32_t samples[9] = {0, 0, float_bits(d[0]), 5, 63, float_bits(d[5 * 64 + 63]), 63, 1, float_bits(d[63 * 64 + 1]) ^ 4u};
  std::string bytes = dump::file_header(1);
  dump::append_sampled(bytes, h, samples);
  const std::vector<DumpRecord> records = parse_dump(bytes, "sampled.bin");
  const CheckResult res = check_record(records[0], default_hypothesis(records[0]));
  CHECK(res.total == 3);
  CHECK(res.matches == 2);
  REQUIRE(res.first.size() == 1);
  CHECK(res.first[0].i == 63);
}

TEST_CASE("malformed dumps are refused with file and offset", "[fp8dump]") {
  const std::string good = file_of({mma_record()});
  const size_t a_at = dump::kFileHeaderBytes + dump::kRecordHeaderBytes;
  require_user_error(good.substr(0, 20), "the file header needs 16 bytes, 4 remain");
  require_user_error(good.substr(0, 100), "record 0's header needs 512 bytes, 68 remain");
  require_user_error(good.substr(0, a_at + 10), "A (16 x 64 codes) needs 1024 bytes, 10 remain (truncated file?)");
  require_user_error(good.substr(0, good.size() - 4), "D (128 FP32 words) needs 512 bytes, 508 remain");
  require_user_error(good + "xyz", "3 bytes after the last of 1 records");
  std::string bad = good;
  bad[0] = 'X';
  require_user_error(bad, "not an FP8 probe dump");
  bad = good;
  bad[8] = 2;
  require_user_error(bad, "dump version 2");
  // Wrong sizes in a header: m = 0, an unknown path, block scales that do not match M and K.
  Synthetic s = mma_record();
  s.h.m = 0;
  require_user_error(file_of({s}), "record 'wgmma/e4m3/codes/k64/c': m, n must be in");
  s = mma_record();
  s.h.path = 9;
  require_user_error(file_of({s}), "unknown path 9");
  s = mma_record();
  s.h.scale_mode = static_cast<uint32_t>(dump::ScaleMode::a1x128_b128x128);
  s.h.n_scale_a = 3;
  s.sa.assign(3, 1.0f);
  require_user_error(file_of({s}), "block scales need 16 scales of A");
  CHECK_THROWS_AS(read_dump("/nonexistent/probe.bin"), hwlab::UserError);
}

TEST_CASE("hypotheses that do not apply are user errors", "[fp8dump]") {
  const std::vector<DumpRecord> records = parse_dump(file_of({mma_record(), lt_record()}), "x.bin");
  Hypothesis h = default_hypothesis(records[0]);
  h.k_order = "zigzag";
  CHECK_THROWS_AS(check_record(records[0], h), hwlab::UserError);
  h = default_hypothesis(records[1]);
  h.model = "h100-fp8,block=3";  // 128 is not a multiple of 3
  CHECK_THROWS_AS(check_record(records[1], h), hwlab::UserError);
  h.model = "h100-fp9";
  CHECK_THROWS_AS(check_record(records[1], h), hwlab::UserError);
}

TEST_CASE("real H100 probe data match the measured models, and only them", "[fp8dump]") {
  // Three records of the 2026-11-23 H100 probes (papers/measurements/2026-11-23-fp8-probes.md).
  const std::vector<DumpRecord> records = read_dump(std::string(HWLAB_SOURCE_DIR) + "/tests/data/fp8/h100-probes-k32.bin");
  REQUIRE(records.size() == 3);
  for (const DumpRecord& r : records) {
    INFO(r.name);
    const CheckResult res = check_record(r, default_hypothesis(r));
    CHECK(res.matches == res.total);
    // The neighbours fail: QGMMA's model on the mma.sync and HMMA paths, and the other way round.
    Hypothesis other = default_hypothesis(r);
    other.model = r.path() == dump::Path::wgmma_fp8 ? "h100-fp16" : "h100-fp8";
    other.promotion = 0;
    other.k_order.clear();
    CHECK(check_record(r, other).matches < res.total / 2);
  }
  // mma.sync FP8: the FP16 blocks need both the pairs order and the FP32 add per k32.
  const DumpRecord& sync = records[0];
  REQUIRE(sync.path() == dump::Path::mma_sync_fp8);
  Hypothesis h = default_hypothesis(sync);
  h.k_order.clear();
  CHECK(check_record(sync, h).matches < sync.d.size());
  h = default_hypothesis(sync);
  h.promotion = 0;
  CHECK(check_record(sync, h).matches < sync.d.size());
}

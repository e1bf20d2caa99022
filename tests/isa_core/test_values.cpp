// Values of the arithmetic instructions, computed by hand: REDUCE's order and rounding, CAST's tile
// scales, LogFMT's codes (arXiv 2505.09343 §3.2), WCAST, LDTRANS, and MMA.FP8 against isa/numerics.
#include <catch2/catch.hpp>

#include <cmath>

#include "isa/logfmt.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "isa/rows.h"
#include "tests/isa_core/isa_test_util.h"

using namespace hwlab;
using namespace hwlab::isa;
using namespace hwlab::isa::test;
using Catch::Matchers::Contains;

namespace {

const std::vector<GpuId> kNode = {g(0, 0), g(0, 1), g(0, 2)};

std::vector<Window> all() { return grant_all({q(0, 0)}, kNode); }

std::string run_error(Memory& m, const std::string& text) {
  try {
    run(m, text, all());
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("REDUCE adds the destination, then the sources in ascending GPU order, in FP32", "[isa][values]") {
  Memory m;
  const float big = 16777216.0f;  // 2^24: FP32's ulp there is 2
  put_floats(m, g(0, 0), 0x100, {big, -0.0f, 1.0f});
  put_floats(m, g(0, 1), 0x100, {1.0f, -0.0f, 0.001953125f});
  put_floats(m, g(0, 2), 0x100, {-big, -0.0f, 0.0f});
  run(m, "REDUCE dst=0x0, srcs=n0.g{2,0,1}, src=0x100, cols=3, rows=1, stype=fp32, dtype=fp32, accumulate=no\n", all());
  // (2^24 + 1) rounds to 2^24 (tie to even), then - 2^24: 0. In the order g2, g0, g1 it would be 1.
  // -0 + -0 stays -0: the first addend is taken as it is.
  const std::vector<float> r = get_floats(m, g(0, 0), 0, 3);
  CHECK(r[0] == 0.0f);
  CHECK((r[1] == 0.0f && std::signbit(r[1])));
  CHECK(r[2] == 1.001953125f);

  put_floats(m, g(0, 0), 0x0, {3.0f});
  run(m, "REDUCE dst=0x0, srcs=n0.g{0,1,2}, src=0x100, cols=1, rows=1, stype=fp32, dtype=fp32, accumulate=yes\n", all());
  // 3 + 2^24 = 2^24 + 4 (tie to even), + 1 = 2^24 + 4 (tie to even), - 2^24 = 4.
  CHECK(get_floats(m, g(0, 0), 0, 1)[0] == 4.0f);

  // BF16 destination: one rounding of the FP32 sum (1 + 2^-9 is 1 in BF16).
  run(m, "REDUCE dst=0x40, srcs=n0.g{0,1}, src=0x108, cols=1, rows=1, stype=fp32, dtype=bf16, accumulate=no\n", all());
  CHECK(get_bf16(m, g(0, 0), 0x40, 1)[0] == 1.0f);
}

TEST_CASE("REDUCE stores every NaN sum as the one canonical NaN", "[isa][values]") {
  Memory m;
  const uint32_t nan_bits[] = {0x7fc00001u, 0xffc00000u, 0x7f800001u};  // quiet, negative, signalling
  put_floats(m, g(0, 0), 0x100,
             {numerics::float_from_bits(nan_bits[0]), INFINITY, numerics::float_from_bits(nan_bits[2]), 1.0f});
  put_floats(m, g(0, 1), 0x100, {numerics::float_from_bits(nan_bits[1]), -INFINITY, 2.0f, 2.0f});
  run(m, "REDUCE dst=0x0, srcs=n0.g{0,1}, src=0x100, cols=4, rows=1, stype=fp32, dtype=fp32, accumulate=no\n", all());
  const std::vector<uint8_t> out = m.read(g(0, 0), 0, 16);
  const uint32_t canonical = 0x7fffffffu;  // isa/numerics' FP32 NaN, whatever the operand order
  for (int i = 0; i < 3; ++i)
    CHECK((out[4 * i] | out[4 * i + 1] << 8 | out[4 * i + 2] << 16 | uint32_t{out[4 * i + 3]} << 24) == canonical);
  CHECK(get_floats(m, g(0, 0), 12, 1)[0] == 3.0f);
  // One addend: still stored canonical; BF16 stores 0x7FFF.
  run(m, "REDUCE dst=0x40, srcs=n0.g{0}, src=0x100, cols=1, rows=1, stype=fp32, dtype=fp32, accumulate=no\n", all());
  CHECK(m.read(g(0, 0), 0x40, 4) == std::vector<uint8_t>{0xff, 0xff, 0xff, 0x7f});
  run(m, "REDUCE dst=0x80, srcs=n0.g{0,1}, src=0x104, cols=1, rows=1, stype=fp32, dtype=bf16, accumulate=no\n", all());
  CHECK(m.read(g(0, 0), 0x80, 2) == std::vector<uint8_t>{0xff, 0x7f});
}

TEST_CASE("REDUCE dequantizes FP8 rows with their per-128 scales and counts per source", "[isa][values]") {
  Memory m;
  // Two rows of 130 E4M3 elements (two tiles) on g1 and g2: codes 0x38 (1.0), scales 0.5 and 4.
  for (const GpuId& x : {g(0, 1), g(0, 2)}) {
    std::vector<uint8_t> row(130, 0x38);
    for (float s : {0.5f, 4.0f}) {
      const uint32_t bits = numerics::float_bits(s);
      for (int b = 0; b < 4; ++b) row.push_back(static_cast<uint8_t>(bits >> (8 * b)));
    }
    row[0] = 0xb8;  // -1.0
    m.write(x, 0x1000, row);
  }
  const Counters c =
      run(m, "REDUCE dst=0x0, srcs=n0.g{1,2}, src=0x1000, cols=130, rows=1, stype=e4m3s, dtype=fp32, accumulate=no\n",
          all());
  const std::vector<float> r = get_floats(m, g(0, 0), 0, 130);
  CHECK(r[0] == -1.0f);
  CHECK(r[1] == 1.0f);
  CHECK(r[127] == 1.0f);
  CHECK(r[128] == 8.0f);
  CHECK(r[129] == 8.0f);
  CHECK(row_bytes(Dtype::e4m3s, 130) == 138);
  CHECK(c.by_instruction.at("REDUCE").bytes == std::array<uint64_t, 3>{0, 276, 0});
}

TEST_CASE("CAST quantizes each 1x128 tile with scale amax/448 or a UE8M0 power of two", "[isa][values]") {
  Memory m;
  put_bf16(m, g(0, 0), 0x0, {1.0f, -2.0f, 3.5f, 0.0f});
  run(m, "CAST dst=0x100, src=0x0, cols=4, rows=1, stype=bf16, dtype=e4m3s\n", all());
  // amax 3.5: scale 3.5/448 = 2^-7; x/scale = 128, -256, 448, 0.
  CHECK(m.read(g(0, 0), 0x100, 8) == std::vector<uint8_t>{0x70, 0xf8, 0x7e, 0x00, 0x00, 0x00, 0x00, 0x3c});

  put_bf16(m, g(0, 0), 0x0, {1.0f, -2.0f, 3.0f, 0.0f});
  run(m, "CAST dst=0x200, src=0x0, cols=4, rows=1, stype=bf16, dtype=e4m3u\n", all());
  // amax 3: 3/448 rounds up to the power of two 2^-7 (UE8M0 code 120); 3/2^-7 = 384.
  CHECK(m.read(g(0, 0), 0x200, 5) == std::vector<uint8_t>{0x70, 0xf8, 0x7c, 0x00, 120});
  run(m, "CAST dst=0x300, src=0x200, cols=4, rows=1, stype=e4m3u, dtype=bf16\n", all());
  CHECK(get_bf16(m, g(0, 0), 0x300, 4) == std::vector<float>{1.0f, -2.0f, 3.0f, 0.0f});

  // e4m3s with amax 3: scale fp32(3/448); 3/scale rounds to 448, 1/scale = 149.33 to 144.
  run(m, "CAST dst=0x400, src=0x0, cols=4, rows=2, stype=bf16, dtype=e4m3s\n", all());
  const std::vector<uint8_t> q = m.read(g(0, 0), 0x400, 8);
  CHECK(q[0] == 0x71);
  CHECK(q[2] == 0x7e);
  CHECK(numerics::float_from_bits(static_cast<uint32_t>(q[4] | q[5] << 8 | q[6] << 16 | q[7] << 24)) == 3.0f / 448.0f);

  // An all-zero tile gets the floor scale 1e-4/448; a partial last tile has its own scale.
  std::vector<float> wide(130, 0.0f);
  wide[129] = -448.0f;
  put_floats(m, g(0, 0), 0x1000, wide);
  run(m, "CAST dst=0x2000, src=0x1000, cols=130, rows=1, stype=fp32, dtype=e4m3s\n", all());
  const std::vector<uint8_t> w = m.read(g(0, 0), 0x2000, 138);
  CHECK(w[0] == 0x00);
  CHECK(w[129] == 0xfe);  // -448 / 1 = -448
  CHECK(numerics::float_from_bits(static_cast<uint32_t>(w[130] | w[131] << 8 | w[132] << 16 | w[133] << 24)) ==
        1e-4f / 448.0f);
  CHECK(numerics::float_from_bits(static_cast<uint32_t>(w[134] | w[135] << 8 | w[136] << 16 | w[137] << 24)) == 1.0f);

  put_floats(m, g(0, 0), 0x1000, {1.0f, NAN});
  CHECK_THAT(run_error(m, "CAST dst=0x2000, src=0x1000, cols=2, rows=1, stype=fp32, dtype=e4m3s\n"),
             Contains("row 0: element 1 is nan: FP8 with scales holds finite values only"));
}

TEST_CASE("LOGFMT encodes per tile, rounding in the linear domain (arXiv 2505.09343 §3.2)", "[isa][values]") {
  Memory m;
  // n = 3: levels 2^(0 + 3(K-1)) = 1, 8, 64 for K = 1, 2, 3. 4 is nearer 1 than 8 in the linear
  // domain (log-domain rounding would give 8); 36 ties between 8 and 64 and takes the even K = 2.
  put_floats(m, g(0, 0), 0x0, {1, 8, 64, -8, 0, 4, 36, 37});
  run(m, "LOGFMT.ENC dst=0x100, src=0x0, cols=8, rows=1, stype=fp32, bits=3\n", all());
  CHECK(logfmt_row_bytes(8, 3) == 11);
  // Header: min 0.0f, Step 3.0f; codes 1,2,3,6,0,1,2,3 as 3-bit fields: 0x688cd1.
  CHECK(m.read(g(0, 0), 0x100, 11) == std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0x40, 0x40, 0xd1, 0x8c, 0x68});
  run(m, "LOGFMT.DEC dst=0x200, src=0x100, cols=8, rows=1, dtype=fp32, bits=3\n", all());
  CHECK(get_floats(m, g(0, 0), 0x200, 8) == std::vector<float>{1, 8, 64, -8, 0, 1, 8, 64});

  // min clamped to max - 32: levels start at 2^8, and 1 rounds to zero.
  put_floats(m, g(0, 0), 0x0, {1099511627776.0f, 1.0f, -0.0f});
  run(m, "LOGFMT.ENC dst=0x100, src=0x0, cols=3, rows=1, stype=fp32, bits=8\n", all());
  run(m, "LOGFMT.DEC dst=0x200, src=0x100, cols=3, rows=1, dtype=fp32, bits=8\n", all());
  CHECK(get_floats(m, g(0, 0), 0x100, 1)[0] == 8.0f);  // the stored min
  const std::vector<float> d = get_floats(m, g(0, 0), 0x200, 3);
  CHECK(d[0] == Approx(1099511627776.0).epsilon(1e-5));  // level(127) from the stored FP32 Step
  CHECK(d[1] == 0.0f);
  CHECK((d[2] == 0.0f && std::signbit(d[2])));

  // One distinct magnitude: Step 0, every element the top code S.1111111.
  put_bf16(m, g(0, 0), 0x0, {5, -5, 5});
  run(m, "LOGFMT.ENC dst=0x100, src=0x0, cols=3, rows=1, stype=bf16, bits=8\n", all());
  CHECK(m.read(g(0, 0), 0x108, 3) == std::vector<uint8_t>{0x7f, 0xff, 0x7f});
  run(m, "LOGFMT.DEC dst=0x200, src=0x100, cols=3, rows=1, dtype=bf16, bits=8\n", all());
  CHECK(get_bf16(m, g(0, 0), 0x200, 3) == std::vector<float>{5, -5, 5});

  // Two tiles of a 130-wide row, 10 bits: the row is (8 + 160) + (8 + 3) bytes.
  CHECK(logfmt_row_bytes(130, 10) == 179);
  put_floats(m, g(0, 0), 0x0, {INFINITY});
  CHECK_THAT(run_error(m, "LOGFMT.ENC dst=0x100, src=0x0, cols=1, rows=1, stype=fp32, bits=8\n"),
             Contains("element 0 is inf: LogFMT encodes finite values only"));
  put_floats(m, g(0, 0), 0x100, {1.0f, -1.0f});
  CHECK_THAT(run_error(m, "LOGFMT.DEC dst=0x200, src=0x100, cols=1, rows=1, dtype=fp32, bits=8\n"),
             Contains("tile 0 has header min 1 and Step -1: expected finite values and Step >= 0"));
}

TEST_CASE("LogFMT-10 keeps a smooth tile closer than E4M3 does", "[isa][values]") {
  std::vector<float> x(128);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f) * std::exp2(static_cast<float>(i % 9));
  std::vector<uint8_t> enc(logfmt_row_bytes(128, 10)), fp8(row_bytes(Dtype::e4m3s, 128));
  REQUIRE(logfmt_encode_row(x.data(), 128, 10, enc.data()).empty());
  std::vector<double> back(128);
  REQUIRE(logfmt_decode_row(enc.data(), 128, 10, back.data()).empty());
  REQUIRE(store_row(Dtype::e4m3s, x.data(), 128, fp8.data()).empty());
  const std::vector<float> q = load_row(Dtype::e4m3s, fp8.data(), 128);
  double err_log = 0, err_fp8 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err_log += std::fabs(back[i] - x[i]);
    err_fp8 += std::fabs(static_cast<double>(q[i]) - x[i]);
    CHECK(std::signbit(back[i]) == std::signbit(x[i]));
  }
  CHECK(err_log < err_fp8);
}

TEST_CASE("WCAST, LDTRANS and MMA.FP8", "[isa][values]") {
  Memory m;
  std::vector<float> tile(128, 0.5f);
  tile[0] = 56.0f;
  tile[1] = -7.0f;
  put_floats(m, g(0, 0), 0x0, tile);
  run(m, "WCAST dst=0x400, src=0x0, stype=fp32, format=e4m3\n", all());
  // amax 56: scale 56/448 = 0.125; codes 448, -56, 4.
  const std::vector<uint8_t> w = m.read(g(0, 0), 0x400, 132);
  CHECK(w[0] == 0x7e);
  CHECK(w[1] == 0xe6);
  CHECK(w[2] == 0x48);
  CHECK(std::vector<uint8_t>(w.begin() + 128, w.end()) == std::vector<uint8_t>{0, 0, 0, 0x3e});

  m.write(g(0, 0), 0x800, {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0});  // 2 x 3 u16
  run(m, "LDTRANS dst=0x900, src=0x800, rows=2, cols=3, esize=2\n", all());
  CHECK(m.read(g(0, 0), 0x900, 12) == std::vector<uint8_t>{1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6, 0});

  // A 4 x 4 x 256 GEMM with DeepSeek tile scales, run through the instruction and through
  // isa/numerics directly: the same bits.
  numerics::GemmProblem p;
  p.m = p.n = 4;
  p.k = 256;
  std::mt19937 rng(7);
  for (int i = 0; i < 4 * 256; ++i) {
    p.a.push_back(static_cast<uint8_t>(rng() % 0x7e));
    p.b.push_back(static_cast<uint8_t>(rng() % 0x7e | (rng() % 2) << 7));
  }
  p.scales.granularity = numerics::ScaleGranularity::deepseek;
  p.scales.a = {0.5f, 2.0f, 0.25f, 1.0f, 4.0f, 0.125f, 1.0f, 3.0f};
  p.scales.b = {1.5f, 0.75f};
  m.write(g(0, 0), 0x1000, p.a);
  m.write(g(0, 0), 0x2000, p.b);
  put_floats(m, g(0, 0), 0x3000, p.scales.a);
  put_floats(m, g(0, 0), 0x3100, p.scales.b);
  for (const char* acc : {"13", "fp32"}) {
    run(m, std::string("MMA.FP8 d=0x4000, a=0x1000, b=0x2000, sa=0x3000, sb=0x3100, m=4, n=4, k=256, format=e4m3, acc=") +
               acc + ", scaling=tile, promotion=128, group_scaled=no\n",
        all());
    numerics::GemmOptions o;
    o.promotion_interval = 128;
    const std::vector<float> want =
        numerics::gemm(numerics::preset(std::string(acc) == "13" ? "acc-13" : "fp32-acc"), p, o);
    CHECK(get_floats(m, g(0, 0), 0x4000, 16) == want);
  }
  CHECK_THAT(run_error(m, "MMA.FP8 d=0x4000, a=0x1000, b=0x2000, sa=0x3000, sb=0x3100, m=4, n=4, k=256, "
                          "format=e4m3, acc=13, scaling=tile, promotion=256, group_scaled=no\n"),
             Contains("queue n0.g0.q0: MMA.FP8"));
}

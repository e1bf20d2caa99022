// The dump format of the FP8 GPU probes (kernels/numerics/fp8_probe.cu writes it, `hwlab fp8
// gemm-check` reads it). Header-only and dependency-free so that the standalone CUDA probe can use it.
//
// A file holds one or more records; every integer is little-endian.
//
//   file header (32 bytes): magic "HWFP8DMP", u32 version (= 1), u32 record count, 16 bytes zero
//   per record:
//     RecordHeader (512 bytes, below)
//     A      m*k bytes      FP8 codes, row-major (row i of A, K contiguous)
//     B      n*k bytes      FP8 codes, row-major (row j of B makes output column j, K contiguous)
//     SA     n_scale_a f32  block scales of A, as handed to the library (scale_layout says how)
//     SB     n_scale_b f32  block scales of B
//     C      m*n u32        FP32 bits, row-major; present when c_mode != none
//     D      m*n u32        the GPU's result as FP32 bits, row-major (BF16 results widened exactly)
//
// Sampled records (kind = sampled) carry no A, B, C: the inputs are generated from `seed` by
// probe_inputs.h's generate_code(), and D is n_samples triples (u32 i, u32 j, u32 bits).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace hwlab::numerics::dump {

inline constexpr char kMagic[8] = {'H', 'W', 'F', 'P', '8', 'D', 'M', 'P'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kFileHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 512;

// Which hardware path produced the record; gemm-check picks its default hypothesis from it.
enum class Path : uint32_t {
  mma_sync_fp8 = 0,   // mma.sync.aligned.m16n8k32.row.col.f32.{e4m3,e5m2} chained over K in registers
  wgmma_fp8 = 1,      // wgmma.mma_async m64n8k32 f32 e4m3/e5m2, A and B from shared memory
  cublaslt = 2,       // cublasLtMatmul, FP8 in, FP32 out (fast_accum says which mode)
  mma_sync_fp16 = 3,  // mma.sync.aligned.m16n8k16 f32.f16.f16.f32, FP8 data converted to FP16
  cuda_model = 4,     // kernels/numerics' CUDA implementation of a model (model_name says which)
  count_
};

// Where C enters: not at all (C = +0), as the MMA's accumulator input (the chain starts at C), or
// after the GEMM (cuBLASLt's epilogue: D = alpha*scale_a*scale_b*acc + beta*C).
enum class CMode : uint32_t { none = 0, accumulator = 1, epilogue = 2, count_ };

// Scales: per-tensor (scale_a, scale_b in the header), or cuBLASLt's VEC128_32F for A and
// BLK128x128_32F for B (DeepSeek-V3's 1x128 activation tiles and 128x128 weight blocks).
enum class ScaleMode : uint32_t { per_tensor = 0, a1x128_b128x128 = 1, count_ };

enum class RecordKind : uint32_t { full = 0, sampled = 1, count_ };

// Result element type the library wrote (D is always stored widened to FP32 bits).
enum class OutType : uint32_t { fp32 = 0, bf16 = 1, count_ };

// Operand formats: 0 = E4M3, 1 = E5M2.
inline constexpr uint32_t kE4M3 = 0;
inline constexpr uint32_t kE5M2 = 1;

#pragma pack(push, 1)
struct RecordHeader {
  char name[64];           // configuration name, NUL-padded, e.g. "wgmma/e4m3/random/k256/c"
  char model_name[32];     // cuda_model: the preset it implements; else empty
  char library[96];        // cuBLASLt: the chosen algorithm (tile, stages, split-K); else empty
  uint32_t path;           // Path
  uint32_t kind;           // RecordKind
  uint32_t format_a;       // kE4M3 / kE5M2
  uint32_t format_b;
  uint32_t m, n, k;
  uint32_t c_mode;         // CMode
  uint32_t fast_accum;     // cuBLASLt: CUBLASLT_MATMUL_DESC_FAST_ACCUM
  uint32_t scale_mode;     // ScaleMode
  uint32_t out_type;       // OutType
  uint32_t promotion;      // cuda_model: the promotion interval it ran with (0: never)
  uint32_t n_scale_a;      // f32 scales of A that follow (block scales only)
  uint32_t n_scale_b;
  uint32_t n_samples;      // sampled records
  uint32_t input_style;    // sampled records: probe_inputs.h Style
  uint64_t seed;           // sampled records: generator seed
  float alpha, beta;       // cuBLASLt alpha and beta (1 and 0 elsewhere)
  float scale_a, scale_b;  // per-tensor scales (1 when unused)
  uint8_t reserved[512 - 64 - 32 - 96 - 4 * 16 - 8 - 16];
};
#pragma pack(pop)
static_assert(sizeof(RecordHeader) == kRecordHeaderBytes, "RecordHeader must be 512 bytes");

inline RecordHeader make_header(const char* name, Path path) {
  RecordHeader h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.name, name, strnlen(name, sizeof h.name - 1));
  h.path = static_cast<uint32_t>(path);
  h.alpha = 1.0f;
  h.scale_a = 1.0f;
  h.scale_b = 1.0f;
  return h;
}

inline void set_text(char* field, size_t size, const std::string& text) {
  std::memset(field, 0, size);
  std::memcpy(field, text.data(), text.size() < size - 1 ? text.size() : size - 1);
}

inline void append_bytes(std::string& out, const void* data, size_t bytes) {
  out.append(static_cast<const char*>(data), bytes);
}

inline std::string file_header(uint32_t record_count) {
  std::string h(kFileHeaderBytes, '\0');
  std::memcpy(&h[0], kMagic, sizeof kMagic);
  std::memcpy(&h[8], &kVersion, 4);  // the hosts we run on are little-endian
  std::memcpy(&h[12], &record_count, 4);
  return h;
}

// Appends one full record. c may be null when h.c_mode is none; scales null when n_scale_* is 0.
inline void append_record(std::string& out, const RecordHeader& h, const uint8_t* a,
                          const uint8_t* b, const float* scale_a, const float* scale_b,
                          const uint32_t* c, const uint32_t* d) {
  const size_t m = h.m, n = h.n, k = h.k;
  append_bytes(out, &h, sizeof h);
  append_bytes(out, a, m * k);
  append_bytes(out, b, n * k);
  if (h.n_scale_a) append_bytes(out, scale_a, 4u * h.n_scale_a);
  if (h.n_scale_b) append_bytes(out, scale_b, 4u * h.n_scale_b);
  if (h.c_mode != static_cast<uint32_t>(CMode::none)) append_bytes(out, c, 4 * m * n);
  append_bytes(out, d, 4 * m * n);
}

// Appends one sampled record: samples are (i, j, bits) triples.
inline void append_sampled(std::string& out, const RecordHeader& h, const uint32_t* samples) {
  append_bytes(out, &h, sizeof h);
  append_bytes(out, samples, 12u * h.n_samples);
}

}  // namespace hwlab::numerics::dump

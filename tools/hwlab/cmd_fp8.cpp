// `hwlab fp8`: the FP8 tensor-core models (isa/numerics) on files, for probes and reports.
//
//   hwlab fp8 dot  --model PRESET --format e4m3|e5m2 --a FILE --b FILE [--c FILE] --out FILE
//       A and B: one vector per line, 32 whitespace-separated hexadecimal FP32 words, each exactly
//       representable in the format; C: one hexadecimal FP32 word per line (absent: 0). Output: one
//       8-digit lowercase hexadecimal FP32 word per line, D = A.B + C of one 32-product block (a
//       preset with smaller blocks chains them over the 32).
//   hwlab fp8 gemm --model PRESET --format e4m3|e5m2 --m M --n N --k K --promotion NC --a FILE
//                  --b FILE --out FILE
//       A: M x K codes, B: N x K codes, one byte each, row-major; scales 1. Output: M x N
//       little-endian FP32, row-major.
//   hwlab fp8 gemm-check DUMP...   GPU probe dumps vs the models (cmd_fp8_check.cpp)
//   hwlab fp8 study                accumulation error vs K (cmd_fp8_study.cpp)
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"
#include "isa/numerics/block_fma.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {
namespace {

namespace nx = hwlab::numerics;

constexpr int kDotLength = 32;

struct Line {
  int number;            // 1-based
  std::string_view text;
};

// The file's lines without their terminators; trailing empty lines are dropped.
std::vector<Line> split_lines(const std::string& text) {
  std::vector<Line> lines;
  size_t start = 0;
  int number = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    start = end + 1;
  }
  while (!lines.empty() && lines.back().text.find_first_not_of(" \t") == std::string_view::npos) {
    lines.pop_back();
  }
  return lines;
}

struct Token {
  int column;  // 1-based
  std::string_view text;
};

std::vector<Token> split_words(std::string_view line) {
  std::vector<Token> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    const size_t begin = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    words.push_back({static_cast<int>(begin) + 1, line.substr(begin, i - begin)});
  }
  return words;
}

uint32_t parse_hex_word(const Token& t, const SourceLocation& where) {
  bool ok = !t.text.empty() && t.text.size() <= 8;
  uint32_t v = 0;
  for (char ch : t.text) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) {
      ok = false;
      break;
    }
    const uint32_t digit = std::isdigit(static_cast<unsigned char>(ch))
                               ? static_cast<uint32_t>(ch - '0')
                               : static_cast<uint32_t>(std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10);
    v = (v << 4) | digit;
  }
  if (!ok) {
    throw UserError(where, "expected a hexadecimal FP32 word (up to 8 hex digits, e.g. 3f700000), found '" +
                               std::string(t.text) + "'");
  }
  return v;
}

std::string hex_word(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Vectors of 32 FP32 words, each a value of `format`.
std::vector<std::array<double, kDotLength>> read_vectors(const std::string& path, nx::Format format) {
  const std::string text = read_file(path);
  std::vector<std::array<double, kDotLength>> vectors;
  for (const Line& line : split_lines(text)) {
    const std::vector<Token> words = split_words(line.text);
    if (words.size() != kDotLength) {
      throw UserError(SourceLocation{path, line.number, 0},
                      "expected " + std::to_string(kDotLength) +
                          " hexadecimal FP32 words, found " + std::to_string(words.size()));
    }
    std::array<double, kDotLength> v{};
    for (int i = 0; i < kDotLength; ++i) {
      const SourceLocation where{path, line.number, words[i].column};
      const uint32_t bits = parse_hex_word(words[i], where);
      const float x = nx::float_from_bits(bits);
      if (!std::isnan(x)) {
        const double back = nx::decode(format, nx::encode(format, x, nx::Saturation::none));
        if (!(back == x && std::signbit(back) == std::signbit(x))) {
          char value[64];
          std::snprintf(value, sizeof value, "%.9g", static_cast<double>(x));
          throw UserError(where, std::string(words[i].text) + " (" + value +
                                     ") is not exactly representable in " + nx::format_name(format));
        }
      }
      v[i] = x;  // a NaN word stands for the format's NaN
    }
    vectors.push_back(v);
  }
  return vectors;
}

std::vector<float> read_scalars(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<float> values;
  for (const Line& line : split_lines(text)) {
    const std::vector<Token> words = split_words(line.text);
    if (words.size() != 1) {
      throw UserError(SourceLocation{path, line.number, 0},
                      "expected one hexadecimal FP32 word, found " + std::to_string(words.size()));
    }
    values.push_back(nx::float_from_bits(parse_hex_word(words[0], {path, line.number, words[0].column})));
  }
  return values;
}

nx::Format format_of(const std::string& name) {
  // CLI11 has checked the name already.
  return *nx::parse_format(name);
}

struct DotArgs {
  std::string model, format, a, b, c, out;
};

void run_dot(const DotArgs& args) {
  const nx::BlockFmaModel model = nx::preset(args.model);
  const nx::Format format = format_of(args.format);
  const auto a = read_vectors(args.a, format);
  const auto b = read_vectors(args.b, format);
  if (a.size() != b.size()) {
    throw UserError("line counts differ: " + args.a + " has " + std::to_string(a.size()) +
                    " vectors, " + args.b + " has " + std::to_string(b.size()));
  }
  std::vector<float> c(a.size(), 0.0f);
  if (!args.c.empty()) {
    c = read_scalars(args.c);
    if (c.size() != a.size()) {
      throw UserError("line counts differ: " + args.a + " has " + std::to_string(a.size()) +
                      " vectors, " + args.c + " has " + std::to_string(c.size()) + " values");
    }
  }
  std::string out;
  out.reserve(a.size() * 9);
  for (size_t i = 0; i < a.size(); ++i) {
    const float d = nx::dot(model, a[i].data(), b[i].data(), kDotLength, c[i], format);
    out += hex_word(nx::float_bits(d));
    out += '\n';
  }
  write_file_atomically(args.out, out);
}

struct GemmArgs {
  std::string model, format, a, b, out;
  int m = 0, n = 0, k = 0, promotion = 128;
};

std::vector<uint8_t> read_codes(const std::string& path, size_t expected, nx::Format format) {
  const std::string bytes = read_file(path);
  if (bytes.size() != expected) {
    throw UserError(path + ": expected " + std::to_string(expected) + " bytes, found " +
                    std::to_string(bytes.size()));
  }
  std::vector<uint8_t> codes(bytes.begin(), bytes.end());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (nx::is_nan_code(format, codes[i])) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", codes[i]);
      throw UserError(path + ": byte offset " + std::to_string(i) + ": " + code + " is a NaN in " +
                      nx::format_name(format) + "; NaN inputs are not accepted");
    }
  }
  return codes;
}

void run_gemm(const GemmArgs& args) {
  const nx::BlockFmaModel model = nx::preset(args.model);
  const nx::Format format = format_of(args.format);
  if (args.m < 1 || args.n < 1 || args.k < 1) {
    throw UserError("--m, --n and --k must be at least 1");
  }
  if (args.promotion < 0) throw UserError("--promotion must be 0 (never) or positive");
  nx::GemmProblem problem;
  problem.m = args.m;
  problem.n = args.n;
  problem.k = args.k;
  problem.format = format;
  problem.a = read_codes(args.a, static_cast<size_t>(args.m) * static_cast<size_t>(args.k), format);
  problem.b = read_codes(args.b, static_cast<size_t>(args.n) * static_cast<size_t>(args.k), format);
  nx::GemmOptions options;
  options.promotion_interval = args.promotion;
  const std::vector<float> d = nx::gemm(model, problem, options);
  std::string out(d.size() * 4, '\0');
  for (size_t i = 0; i < d.size(); ++i) {
    const uint32_t u = nx::float_bits(d[i]);
    for (int byte = 0; byte < 4; ++byte) out[4 * i + byte] = static_cast<char>((u >> (8 * byte)) & 0xFFu);
  }
  write_file_atomically(args.out, out);
}

}  // namespace

// cmd_fp8_check.cpp and cmd_fp8_study.cpp.
void add_fp8_check_command(CLI::App& fp8);
void add_fp8_study_command(CLI::App& fp8);

void add_fp8_command(CLI::App& app) {
  auto* fp8 = app.add_subcommand("fp8", "Bit-exact FP8 tensor-core models: block dot products and GEMMs");
  fp8->require_subcommand(1);
  const std::vector<std::string> formats{"e4m3", "e5m2"};
  std::string models = "block-FMA model: ";
  for (const std::string& name : nx::preset_names()) models += name + " ";

  auto dot_args = std::make_shared<DotArgs>();
  auto* dot = fp8->add_subcommand("dot", "D = A.B + C for one 32-product block per line");
  dot->add_option("--model", dot_args->model, models)->required();
  dot->add_option("--format", dot_args->format, "operand format")->required()->check(CLI::IsMember(formats));
  dot->add_option("--a", dot_args->a, "A vectors: 32 hex FP32 words per line")->required();
  dot->add_option("--b", dot_args->b, "B vectors: 32 hex FP32 words per line")->required();
  dot->add_option("--c", dot_args->c, "C: one hex FP32 word per line (default 0)");
  dot->add_option("--out", dot_args->out, "output: one hex FP32 word per line")->required();
  dot->callback([dot_args] { run_dot(*dot_args); });

  auto gemm_args = std::make_shared<GemmArgs>();
  auto* gemm = fp8->add_subcommand("gemm", "M x N x K FP8 GEMM through a block-FMA model, FP32 promotion");
  gemm->add_option("--model", gemm_args->model, models)->required();
  gemm->add_option("--format", gemm_args->format, "operand format")->required()->check(CLI::IsMember(formats));
  gemm->add_option("--m", gemm_args->m, "rows of A and of the output")->required();
  gemm->add_option("--n", gemm_args->n, "rows of B, columns of the output")->required();
  gemm->add_option("--k", gemm_args->k, "reduction length")->required();
  gemm->add_option("--promotion", gemm_args->promotion,
                   "promotion interval N_C in elements of K (0: never promote)")->required();
  gemm->add_option("--a", gemm_args->a, "A: M x K FP8 codes, row-major")->required();
  gemm->add_option("--b", gemm_args->b, "B: N x K FP8 codes, row-major")->required();
  gemm->add_option("--out", gemm_args->out, "output: M x N little-endian FP32, row-major")->required();
  gemm->callback([gemm_args] { run_gemm(*gemm_args); });

  add_fp8_check_command(*fp8);
  add_fp8_study_command(*fp8);
}

}  // namespace hwlab::cli

#include "isa/asm_syntax.h"

#include <cctype>

#include <fmt/format.h>

#include "common/config/suggest.h"

namespace hwlab::isa::assembly {
namespace {

constexpr int kMaxExpressionDepth = 64;  // parentheses and unary operators; keeps the stack bounded

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c, bool dots) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (dots && c == '.');
}

// Binary operators, C precedence (higher binds tighter).
int precedence(std::string_view op) {
  if (op == "|") return 1;
  if (op == "^") return 2;
  if (op == "&") return 3;
  if (op == "<<" || op == ">>") return 4;
  if (op == "+" || op == "-") return 5;
  if (op == "*" || op == "/" || op == "%") return 6;
  return 0;
}

}  // namespace

SourceLocation LineCursor::at(int column) const {
  SourceLocation s = where_;
  s.column = where_.column > 0 ? where_.column + column - 1 : column;  // text may start mid-line (YAML)
  return s;
}

void LineCursor::skip_space() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) ++pos_;
}

bool LineCursor::at_end() {
  skip_space();
  return pos_ >= text_.size();
}

char LineCursor::peek() {
  skip_space();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool LineCursor::accept(char c) {
  if (peek() != c || c == '\0') return false;
  ++pos_;
  return true;
}

void LineCursor::expect(char c, const char* what) {
  if (!accept(c)) fail(fmt::format("expected {}, found {}", what, found()));
}

std::string LineCursor::found() {
  skip_space();
  if (pos_ >= text_.size()) return "the end of the line";
  size_t end = pos_;
  while (end < text_.size() && end - pos_ < 24 && text_[end] != ' ' && text_[end] != ',' && text_[end] != '\t')
    ++end;
  if (end == pos_) end = pos_ + 1;
  std::string word(text_.substr(pos_, end - pos_));
  for (char& c : word)
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  return "'" + word + "'";
}

std::string_view LineCursor::identifier(bool dots) {
  skip_space();
  if (pos_ >= text_.size() || !(is_ident_start(text_[pos_]) || (dots && text_[pos_] == '.'))) return {};
  const size_t start = pos_;
  while (pos_ < text_.size() && is_ident_char(text_[pos_], dots)) ++pos_;
  return text_.substr(start, pos_ - start);
}

unsigned LineCursor::small_decimal(const char* what, unsigned limit) {
  const int col = column();
  if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
    fail(fmt::format("expected the {} number, found {}", what, found()));
  uint64_t v = 0;
  while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
    v = v * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
    if (v >= limit) {
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      fail_at(col, fmt::format("{} number out of range: expected 0..{}", what, limit - 1));
    }
  }
  return static_cast<unsigned>(v);
}

std::string LineCursor::quoted_string() {
  if (peek() != '"') fail("expected a quoted file name, found " + found());
  const size_t start = ++pos_;
  while (pos_ < text_.size() && text_[pos_] != '"') ++pos_;
  if (pos_ >= text_.size()) fail_at(static_cast<int>(start), "unterminated string");
  std::string s(text_.substr(start, pos_ - start));
  ++pos_;
  return s;
}

int64_t LineCursor::parse_number() {
  const int col = column();
  int base = 10;
  if (text_.substr(pos_, 2) == "0x" || text_.substr(pos_, 2) == "0X") base = 16, pos_ += 2;
  else if (text_.substr(pos_, 2) == "0b" || text_.substr(pos_, 2) == "0B") base = 2, pos_ += 2;
  uint64_t v = 0;
  int digits = 0;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    int d;
    if (c == '_') {
      ++pos_;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) d = c - '0';
    else if (std::isxdigit(static_cast<unsigned char>(c))) d = 10 + (std::tolower(static_cast<unsigned char>(c)) - 'a');
    else if (std::isalpha(static_cast<unsigned char>(c))) d = 99;
    else break;
    if (d >= base) fail(fmt::format("'{}' is not a digit of a base-{} number", c, base));
    if (v > (static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
      fail_at(col, "number too large: expected at most 2^63 - 1");
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    ++digits;
    ++pos_;
  }
  if (digits == 0) fail_at(col, "expected digits after the base prefix");
  return static_cast<int64_t>(v);
}

int64_t LineCursor::expression(const SymbolTable& symbols) { return parse_binary(symbols, 1, 0); }

int64_t LineCursor::parse_unary(const SymbolTable& symbols, int depth) {
  if (depth > kMaxExpressionDepth) fail("expression nested too deeply");
  const char c = peek();
  const int col = column();
  if (c == '-' || c == '~' || c == '+') {
    ++pos_;
    const int64_t v = parse_unary(symbols, depth + 1);
    if (c == '+') return v;
    if (c == '~') return ~v;
    if (v == INT64_MIN) fail_at(col, "integer overflow");
    return -v;
  }
  if (c == '(') {
    ++pos_;
    const int64_t v = parse_binary(symbols, 1, depth + 1);
    expect(')', "')'");
    return v;
  }
  if (std::isdigit(static_cast<unsigned char>(c))) return parse_number();
  if (is_ident_start(c)) {
    const std::string_view name = identifier();
    const auto it = symbols.find(name);
    if (it == symbols.end()) {
      std::vector<std::string> names;
      for (const auto& [n, s] : symbols) names.push_back(n);
      fail_at(col, fmt::format("unknown symbol '{}'{} (constants must be defined with .equ before use)", name,
                               config::did_you_mean(std::string(name), names)));
    }
    return it->second.value;
  }
  fail("expected a number, a symbol or '(', found " + found());
}

int64_t LineCursor::parse_binary(const SymbolTable& symbols, int min_precedence, int depth) {
  int64_t lhs = parse_unary(symbols, depth);
  for (;;) {
    skip_space();
    std::string_view op = text_.substr(pos_, 2);
    if (op != "<<" && op != ">>") op = text_.substr(pos_, 1);
    const int prec = precedence(op);
    if (prec == 0 || prec < min_precedence) return lhs;
    const int col = column();
    pos_ += op.size();
    const int64_t rhs = parse_binary(symbols, prec + 1, depth + 1);
    int64_t r = 0;
    bool overflow = false;
    if (op == "+") overflow = __builtin_add_overflow(lhs, rhs, &r);
    else if (op == "-") overflow = __builtin_sub_overflow(lhs, rhs, &r);
    else if (op == "*") overflow = __builtin_mul_overflow(lhs, rhs, &r);
    else if (op == "/" || op == "%") {
      if (rhs == 0) fail_at(col, "division by zero");
      if (lhs == INT64_MIN && rhs == -1) overflow = true;
      else r = op == "/" ? lhs / rhs : lhs % rhs;
    } else if (op == "<<" || op == ">>") {
      if (rhs < 0 || rhs > 63) fail_at(col, fmt::format("shift by {}: expected 0..63", rhs));
      if (op == ">>") r = lhs >> rhs;
      else if (lhs < 0 || (rhs > 0 && (static_cast<uint64_t>(lhs) >> (63 - rhs)) != 0)) overflow = true;
      else r = static_cast<int64_t>(static_cast<uint64_t>(lhs) << rhs);
    } else if (op == "&") r = lhs & rhs;
    else if (op == "|") r = lhs | rhs;
    else r = lhs ^ rhs;
    if (overflow) fail_at(col, "integer overflow");
    lhs = r;
  }
}

namespace {

uint64_t in_range(LineCursor& c, int col, const FieldSpec& f, int64_t v, uint64_t lo, uint64_t hi) {
  if (v < 0 || static_cast<uint64_t>(v) < lo || static_cast<uint64_t>(v) > hi)
    c.fail_at(col, fmt::format("{}: {} is out of range: expected {}..{}", f.name, v, lo, hi));
  return static_cast<uint64_t>(v);
}

// "g{0,2}" or "g2" -> mask. The cursor stands on the 'g'.
uint8_t parse_mask(LineCursor& c) {
  if (!c.accept('g')) c.fail("expected 'g' and a GPU or a {list} of GPUs, found " + c.found());
  if (c.peek() != '{') return static_cast<uint8_t>(1u << c.small_decimal("GPU", kGpusPerNodeMax));
  c.expect('{', "'{'");
  unsigned mask = 0;
  do {
    c.skip_space();
    const int col = c.column();
    const unsigned g = c.small_decimal("GPU", kGpusPerNodeMax);
    if (mask & (1u << g)) c.fail_at(col, fmt::format("GPU {} is listed twice", g));
    mask |= 1u << g;
  } while (c.accept(','));
  c.expect('}', "',' or '}'");
  return static_cast<uint8_t>(mask);
}

// "p0." prefix if present.
unsigned parse_plane(LineCursor& c) {
  if (c.peek() != 'p') return 0;
  c.accept('p');
  const unsigned plane = c.small_decimal("plane", kPlanesMax);
  c.expect('.', "'.' after the plane");
  return plane;
}

}  // namespace

GpuId parse_gpu_id(LineCursor& c) {
  if (!c.accept('n')) c.fail("expected a GPU like n1.g2, found " + c.found());
  GpuId g;
  g.node = c.small_decimal("node", kNodesMax);
  if (c.rest().substr(0, 2) != ".g") c.fail("expected '.g' and the GPU number, found " + c.found());
  c.accept('.');
  c.accept('g');
  g.gpu = c.small_decimal("GPU", kGpusPerNodeMax);
  return g;
}

uint64_t parse_operand(LineCursor& c, const FieldSpec& f, const SymbolTable& symbols) {
  c.skip_space();
  const int col = c.column();
  switch (f.kind) {
    case FieldKind::global_address: {
      if (c.peek() != 'p' && c.peek() != 'n')
        c.fail(fmt::format("{}: expected a global address like p0.n1.g2:0x1000, found {}", f.name, c.found()));
      GlobalAddress a;
      a.plane = parse_plane(c);
      a.where = parse_gpu_id(c);
      c.expect(':', "':' and the offset");
      c.skip_space();
      const int ocol = c.column();
      a.offset = in_range(c, ocol, f, c.expression(symbols), 0, kOffsetLimit - 1);
      return pack_address(a);
    }
    case FieldKind::gpu:
      return pack_gpu(parse_gpu_id(c));
    case FieldKind::destination_set: {
      if (c.peek() != 'p' && c.peek() != 'n')
        c.fail(fmt::format("{}: expected a destination set like p0.n1.g{{0,2}}, found {}", f.name, c.found()));
      DestinationSet d;
      d.plane = parse_plane(c);
      if (!c.accept('n')) c.fail("expected 'n' and the node, found " + c.found());
      d.node = c.small_decimal("node", kNodesMax);
      c.expect('.', "'.' and the GPUs");
      d.mask = parse_mask(c);
      return pack_destination_set(d);
    }
    case FieldKind::gpu_mask:
      return parse_mask(c);
    case FieldKind::enumeration: {
      const std::string_view name = c.identifier();
      const int code = f.enumeration->find(name);
      if (code < 0) {
        const std::vector<std::string> names = f.enumeration->names();
        c.fail_at(col, fmt::format("{}: expected one of {}, found {}{}", f.name, config::join(names, ", "),
                                   name.empty() ? c.found() : "'" + std::string(name) + "'",
                                   config::did_you_mean(std::string(name), names)));
      }
      return static_cast<uint64_t>(code);
    }
    case FieldKind::accumulator: {
      const LineCursor saved = c;
      if (c.identifier() == "fp32") return 0;
      c = saved;
      const int64_t v = c.expression(symbols);
      if (v < 10 || v > 40) c.fail_at(col, fmt::format("{}: expected fp32 or an alignment width 10..40, found {}", f.name, v));
      return static_cast<uint64_t>(v);
    }
    case FieldKind::target:
      return in_range(c, col, f, c.expression(symbols), 0, (uint64_t{1} << f.width) - 1);
    case FieldKind::offset:
    case FieldKind::unsigned_int:
      return in_range(c, col, f, c.expression(symbols), f.min, f.max);
  }
  c.fail("unknown operand kind");
}

std::string operand_hint(const FieldSpec& f) {
  switch (f.kind) {
    case FieldKind::enumeration: return config::join(f.enumeration->names(), "|");
    case FieldKind::unsigned_int: return fmt::format("<{}..{}>", f.min, f.max);
    case FieldKind::accumulator: return "fp32|<10..40>";
    default: return fmt::format("<{} {}>", kind_name(f.kind), kind_syntax(f.kind));
  }
}

std::string syntax_of(const InstructionSpec& spec) {
  std::string s = spec.mnemonic;
  for (size_t i = 0; i < spec.fields.size(); ++i)
    s += (i ? ", " : " ") + std::string(spec.fields[i].name) + "=" + operand_hint(spec.fields[i]);
  return s;
}

}  // namespace hwlab::isa::assembly

#include "workloads/trace_import.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"

namespace hwlab::workloads {

namespace {

namespace fs = std::filesystem;

std::string read_trace_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw UserError(SourceLocation{path}, "expected a routing trace file, found a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError(SourceLocation{path},
                    fmt::format("cannot open the routing trace: {}", std::strerror(errno)));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    throw UserError(SourceLocation{path}, "cannot read the routing trace: read error");
  return data;
}

// A problem with one token's row: the slot to point at (CSV gives its column) and the message,
// which itself names the token and slot.
struct RowProblem {
  int slot;
  std::string message;
};

// Checks one token's row of expert ids as found in the file. Returns the first problem, if any.

std::optional<RowProblem> check_row(const int64_t* ids, int top_k, int num_experts, int64_t token) {
  for (int j = 0; j < top_k; ++j) {
    const int64_t id = ids[j];
    if (id < 0 || id >= num_experts) {
      std::string message = fmt::format(
          "token {}, slot {}: expected an expert id in [0, {}), found {}", token, j, num_experts, id);
      if (id == -1)
        message += "; masked entries (-1) are not supported: every token must name top_k experts";
      return RowProblem{j, message};
    }
    for (int i = 0; i < j; ++i) {
      if (ids[i] == id)
        return RowProblem{j, fmt::format("token {}: expert {} appears in slot {} and again in slot "
                                         "{}; expected {} distinct experts per token",
                                         token, id, i, j, top_k)};
    }
  }
  return std::nullopt;
}

Routing make_routing(int num_experts, int top_k) {
  Routing r;
  r.num_experts = num_experts;
  r.top_k = top_k;
  return r;
}

// Appends a checked row (every id in [0, num_experts), so it fits int32).
void append_row(Routing& r, const std::vector<int64_t>& row) {
  for (int64_t id : row) r.experts.push_back(static_cast<int32_t>(id));
  ++r.num_tokens;
}

void finish_routing(Routing& r, const std::string& path) {
  if (r.num_tokens == 0)
    throw UserError(SourceLocation{path},
                    fmt::format("expected at least one token of {} expert ids, found none", r.top_k));
  r.weights.assign(r.experts.size(), 1.0f / static_cast<float>(r.top_k));
}

// ---------------------------------------------------------------------------------------------
// .npy: magic "\x93NUMPY", major, minor, header length (u16 for 1.x, u32 for 2.x/3.x, little-endian),
// then a Python dict literal {'descr': '<i8', 'fortran_order': False, 'shape': (N, K), } and the data.

struct PyValue {
  enum class Kind { string, boolean, integer, tuple } kind = Kind::string;
  std::string text;               // string
  bool flag = false;              // boolean
  uint64_t number = 0;            // integer
  std::vector<uint64_t> numbers;  // tuple of integers
};

// Parses the subset of Python literals that NumPy writes in a .npy header.
class NpyHeaderParser {
 public:
  NpyHeaderParser(std::string_view header, const std::string& path) : h_(header), path_(path) {}

  std::vector<std::pair<std::string, PyValue>> parse_dict() {
    std::vector<std::pair<std::string, PyValue>> items;
    expect('{');
    skip_space();
    while (peek() != '}') {
      PyValue key = parse_value();
      if (key.kind != PyValue::Kind::string) fail("a quoted key");
      skip_space();
      expect(':');
      items.emplace_back(key.text, parse_value());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        fail("',' or '}'");
      }
    }
    ++pos_;
    return items;
  }

 private:
  char peek() const { return pos_ < h_.size() ? h_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < h_.size() && std::isspace(static_cast<unsigned char>(h_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("'{}'", c));
    ++pos_;
  }
  [[noreturn]] void fail(const std::string& expected) const {
    const std::string found =
        pos_ < h_.size() ? fmt::format("'{}'", h_.substr(pos_, 12)) : std::string("its end");
    throw UserError(SourceLocation{path_},
                    fmt::format("malformed .npy header at character {}: expected {}, found {} "
                                "(header: {})",
                                pos_ + 1, expected, found, h_));
  }

  PyValue parse_value() {
    skip_space();
    PyValue v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.kind = PyValue::Kind::string;
      ++pos_;
      const size_t end = h_.find(c, pos_);
      if (end == std::string_view::npos) fail(fmt::format("a closing {}", c));
      v.text = std::string(h_.substr(pos_, end - pos_));
      pos_ = end + 1;
    } else if (h_.substr(pos_, 4) == "True" || h_.substr(pos_, 5) == "False") {
      v.kind = PyValue::Kind::boolean;
      v.flag = c == 'T';
      pos_ += v.flag ? 4 : 5;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      v.kind = PyValue::Kind::integer;
      v.number = parse_integer();
    } else if (c == '(') {
      v.kind = PyValue::Kind::tuple;
      ++pos_;
      skip_space();
      while (peek() != ')') {
        if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("a dimension (integer)");
        v.numbers.push_back(parse_integer());
        skip_space();
        if (peek() == ',') {
          ++pos_;
          skip_space();
        } else if (peek() != ')') {
          fail("',' or ')'");
        }
      }
      ++pos_;
    } else {
      fail("a string, True, False, an integer or a tuple");
    }
    return v;
  }

  uint64_t parse_integer() {
    uint64_t n = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const auto digit = static_cast<uint64_t>(peek() - '0');
      if (n > (UINT64_MAX - digit) / 10) fail("an integer below 2^64");
      n = n * 10 + digit;
      ++pos_;
    }
    return n;
  }

  std::string_view h_;
  const std::string& path_;
  size_t pos_ = 0;
};

std::string shape_str(const std::vector<uint64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

uint64_t read_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Routing load_npy(const std::string& path, int num_experts, int top_k) {
  const std::string data = read_trace_file(path);
  const SourceLocation where{path};
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  static const char kMagic[] = "\x93NUMPY";
  if (data.size() < 10 || std::memcmp(bytes, kMagic, 6) != 0) {
    std::string start;
    for (size_t i = 0; i < std::min<size_t>(data.size(), 6); ++i)
      start += std::isprint(bytes[i]) ? std::string(1, data[i]) : fmt::format("\\x{:02x}", bytes[i]);
    throw UserError(where, fmt::format("expected a NumPy .npy file starting with \\x93NUMPY, found "
                                       "'{}' ({} bytes in all)",
                                       start, data.size()));
  }
  const int major = bytes[6], minor = bytes[7];
  size_t header_start = 0, header_len = 0;
  if (major == 1) {
    header_start = 10;
    header_len = read_le(bytes + 8, 2);
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      throw UserError(where, fmt::format("truncated .npy preamble: expected 12 bytes, found {}",
                                         data.size()));
    header_start = 12;
    header_len = read_le(bytes + 8, 4);
  } else {
    throw UserError(where, fmt::format("unsupported .npy format version {}.{}: expected 1.0, 2.0 "
                                       "or 3.0",
                                       major, minor));
  }
  if (data.size() - header_start < header_len)
    throw UserError(where, fmt::format("truncated .npy header: expected {} header bytes, found {}",
                                       header_len, data.size() - header_start));
  const std::string_view header(data.data() + header_start, header_len);

  std::optional<PyValue> descr, fortran_order, shape;
  for (auto& [key, value] : NpyHeaderParser(header, path).parse_dict()) {
    if (key == "descr") descr = value;
    if (key == "fortran_order") fortran_order = value;
    if (key == "shape") shape = value;
  }
  if (!descr || !fortran_order || !shape)
    throw UserError(where, fmt::format("malformed .npy header: expected the keys 'descr', "
                                       "'fortran_order' and 'shape', found {}",
                                       header));
  if (descr->kind != PyValue::Kind::string || (descr->text != "<i8" && descr->text != "<i4"))
    throw UserError(where, fmt::format("unsupported dtype {}: expected '<i8' or '<i4' "
                                       "(little-endian int64 or int32; convert with "
                                       "arr.astype(np.int64))",
                                       descr->kind == PyValue::Kind::string
                                           ? "'" + descr->text + "'"
                                           : std::string("(not a simple type string)")));
  if (fortran_order->kind != PyValue::Kind::boolean || fortran_order->flag)
    throw UserError(where, "expected fortran_order False (C order), found True; save "
                           "np.ascontiguousarray(arr) instead");
  if (shape->kind != PyValue::Kind::tuple || shape->numbers.size() != 2)
    throw UserError(
        where, fmt::format("expected a 2-D array of shape (tokens, top_k), found {}",
                           shape->kind == PyValue::Kind::tuple
                               ? fmt::format("{} dimensions, shape {}", shape->numbers.size(),
                                             shape_str(shape->numbers))
                               : std::string("a shape that is not a tuple")));
  const uint64_t tokens = shape->numbers[0], k = shape->numbers[1];
  if (k != static_cast<uint64_t>(top_k))
    throw UserError(where, fmt::format("expected {} expert ids per token (the workload's top_k), "
                                       "found shape {}",
                                       top_k, shape_str(shape->numbers)));
  if (tokens > static_cast<uint64_t>(INT_MAX))
    throw UserError(where, fmt::format("expected at most {} tokens, found shape {}", INT_MAX,
                                       shape_str(shape->numbers)));

  const int item_bytes = descr->text == "<i8" ? 8 : 4;
  const size_t data_start = header_start + header_len;
  const size_t expected_bytes = static_cast<size_t>(tokens) * k * item_bytes;
  const size_t found_bytes = data.size() - data_start;
  if (found_bytes != expected_bytes)
    throw UserError(where, fmt::format("{} data: expected {} bytes for shape {} of '{}', found {}",
                                       found_bytes < expected_bytes ? "truncated" : "trailing",
                                       expected_bytes, shape_str(shape->numbers), descr->text,
                                       found_bytes));

  Routing r = make_routing(num_experts, top_k);
  r.experts.reserve(static_cast<size_t>(tokens) * k);
  std::vector<int64_t> row(k);
  const unsigned char* p = bytes + data_start;
  for (uint64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < top_k; ++j, p += item_bytes) {
      const uint64_t raw = read_le(p, item_bytes);
      // Sign-extend: the bit pattern is two's complement of item_bytes bytes.
      row[j] = item_bytes == 8 ? static_cast<int64_t>(raw)
                               : static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(raw)));
    }
    if (auto problem = check_row(row.data(), top_k, num_experts, static_cast<int64_t>(t)))
      throw UserError(where, problem->message);
    append_row(r, row);
  }
  finish_routing(r, path);
  return r;
}

// ---------------------------------------------------------------------------------------------
// .csv

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Parses a whole field as a decimal integer with an optional sign.
std::optional<int64_t> parse_int(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    const int digit = s[i] - '0';
    if (v > (INT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return negative ? -v : v;
}

Routing load_csv(const std::string& path, int num_experts, int top_k) {
  const std::string data = read_trace_file(path);
  Routing r = make_routing(num_experts, top_k);
  std::vector<int64_t> row(top_k);
  std::vector<int> columns;  // 1-based column of each field
  std::vector<std::string_view> fields;
  int line_no = 0;
  size_t line_start = 0;
  while (line_start < data.size()) {
    size_t line_end = data.find('\n', line_start);
    if (line_end == std::string::npos) line_end = data.size();
    std::string_view line(data.data() + line_start, line_end - line_start);
    const size_t next_start = line_end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') {
      line_start = next_start;
      continue;
    }

    // Split on commas, trimming blanks; columns are 1-based byte offsets of the trimmed field.
    fields.clear();
    columns.clear();
    size_t field_start = 0;
    while (true) {
      size_t comma = line.find(',', field_start);
      const size_t field_end = comma == std::string_view::npos ? line.size() : comma;
      size_t b = field_start, e = field_end;
      while (b < e && is_blank(line[b])) ++b;
      while (e > b && is_blank(line[e - 1])) --e;
      fields.push_back(line.substr(b, e - b));
      columns.push_back(static_cast<int>(b) + 1);
      if (comma == std::string_view::npos) break;
      field_start = comma + 1;
    }
    const int64_t token = r.num_tokens;
    if (fields.size() != static_cast<size_t>(top_k))
      throw UserError(SourceLocation{path, line_no, 0},
                      fmt::format("token {}: expected {} comma-separated expert ids (the "
                                  "workload's top_k), found {} fields",
                                  token, top_k, fields.size()));
    for (int j = 0; j < top_k; ++j) {
      const std::optional<int64_t> id = parse_int(fields[j]);
      if (!id) {
        std::string message = fmt::format("token {}, slot {}: expected an integer expert id, found "
                                          "'{}'",
                                          token, j, fields[j]);
        if (token == 0) message += " (a header line must start with '#')";
        throw UserError(SourceLocation{path, line_no, columns[j]}, message);
      }
      row[j] = *id;
    }
    if (auto problem = check_row(row.data(), top_k, num_experts, token))
      throw UserError(SourceLocation{path, line_no, columns[problem->slot]}, problem->message);
    if (r.num_tokens == INT_MAX)
      throw UserError(SourceLocation{path, line_no, 0},
                      fmt::format("expected at most {} tokens", INT_MAX));
    append_row(r, row);
    line_start = next_start;
  }
  finish_routing(r, path);
  return r;
}

}  // namespace

Routing load_routing_trace(const std::string& path, int num_experts, int top_k) {
  if (num_experts < 1 || top_k < 1 || top_k > num_experts)
    throw UserError(SourceLocation{path},
                    fmt::format("cannot read a routing trace for num_experts = {}, top_k = {}: "
                                "expected 1 <= top_k <= num_experts",
                                num_experts, top_k));
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".npy") return load_npy(path, num_experts, top_k);
  if (ext == ".csv") return load_csv(path, num_experts, top_k);
  throw UserError(SourceLocation{path},
                  fmt::format("expected a routing trace ending in .npy or .csv, found {}",
                              ext.empty() ? std::string("no extension") : "'" + ext + "'"));
}

}  // namespace hwlab::workloads

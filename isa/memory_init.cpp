#include "isa/memory_init.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/config/node.h"
#include "common/config/suggest.h"
#include "isa/asm_syntax.h"
#include "isa/numerics/formats.h"

namespace hwlab::isa {
namespace {

namespace nx = hwlab::numerics;
using config::ConfigNode;

const ElementType kTypes[] = {{"u8", 1, false},   {"u16", 2, false},  {"u32", 4, false},  {"u64", 8, false},
                              {"fp32", 4, true},  {"bf16", 2, true},  {"e4m3", 1, true},  {"e5m2", 1, true},
                              {"hex", 1, false}};

nx::Format float_format(const ElementType& t) {
  const std::string_view n = t.name;
  if (n == "fp32") return nx::Format::fp32;
  if (n == "bf16") return nx::Format::bf16;
  if (n == "e4m3") return nx::Format::e4m3;
  return nx::Format::e5m2;
}

[[noreturn]] void fail(const ConfigNode& node, const std::string& path, const std::string& message) {
  throw UserError(node.location, path + ": " + message);
}

const ConfigNode& required(const ConfigNode& map, const std::string& path, const char* key) {
  const ConfigNode* n = map.find(key);
  if (!n) fail(map, path, fmt::format("missing key '{}'", key));
  return *n;
}

void only_keys(const ConfigNode& map, const std::string& path, const std::vector<std::string>& keys) {
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const std::string& k = map.entries[i].first;
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw UserError(map.key_locations[i], fmt::format("{}: unknown key '{}'{}; expected {}", path, k,
                                                        config::did_you_mean(k, keys), config::join(keys)));
  }
}

std::string scalar(const ConfigNode& n, const std::string& path, const char* what) {
  if (n.kind != ConfigNode::Kind::scalar) fail(n, path, fmt::format("expected {}, found {}", what, config::describe(n)));
  return n.scalar;
}

// An unsigned integer: decimal or 0x hexadecimal, at most `max`.
uint64_t parse_unsigned(const ConfigNode& n, const std::string& path, uint64_t max) {
  const std::string s = scalar(n, path, "an unsigned integer");
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const std::string digits = hex ? s.substr(2) : s;
  bool ok = !digits.empty() && digits.size() <= (hex ? 16u : 20u);
  for (char c : digits) ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c)));
  errno = 0;
  const unsigned long long v = ok ? std::strtoull(digits.c_str(), nullptr, hex ? 16 : 10) : 0;
  if (!ok || errno == ERANGE || v > max)
    fail(n, path, fmt::format("expected an unsigned integer 0..{}, found \"{}\"", max, s));
  return v;
}

GlobalAddress parse_address(const ConfigNode& n, const std::string& path) {
  const std::string s = scalar(n, path, "a global address like n1.g0:0x1000");
  assembly::LineCursor c(s, n.location);
  c.set_context(path + ": ");
  const FieldSpec f{"offset", FieldKind::global_address, kAddressBits, nullptr, 0, 0, false, ""};
  const uint64_t bits = assembly::parse_operand(c, f, {});
  if (!c.at_end()) c.fail("expected the end of the address, found " + c.found());
  return unpack_address(bits);
}

QueueId parse_queue(const ConfigNode& n, const std::string& path) {
  const std::string s = scalar(n, path, "a queue like n0.g1.q0");
  assembly::LineCursor c(s, n.location);
  c.set_context(path + ": ");
  QueueId q;
  q.gpu = assembly::parse_gpu_id(c);
  if (c.rest().substr(0, 2) != ".q") c.fail("expected '.q' and the queue number, found " + c.found());
  c.accept('.');
  c.accept('q');
  q.queue = c.small_decimal("queue", 16);
  if (!c.at_end()) c.fail("expected the end of the queue name, found " + c.found());
  return q;
}

void append_value(const ConfigNode& n, const std::string& path, const ElementType& t, std::vector<uint8_t>& out) {
  uint64_t bits;
  if (!t.is_float) {
    bits = parse_unsigned(n, path, t.bytes == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * t.bytes)) - 1);
  } else {
    const std::string s = scalar(n, path, "a number");
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || std::isnan(x)) fail(n, path, fmt::format("expected a number, found \"{}\"", s));
    const nx::Format f = float_format(t);
    if (std::fabs(x) > nx::format_info(f).max_finite)
      fail(n, path, fmt::format("{} is beyond the largest finite {} ({})", s, t.name, nx::format_info(f).max_finite));
    bits = nx::encode(f, x, nx::Saturation::finite);
  }
  for (int b = 0; b < t.bytes; ++b) out.push_back(static_cast<uint8_t>(bits >> (8 * b)));
}

}  // namespace

const ElementType* find_element_type(std::string_view name) {
  for (const ElementType& t : kTypes)
    if (name == t.name) return &t;
  return nullptr;
}

std::vector<std::string> element_type_names() {
  std::vector<std::string> out;
  for (const ElementType& t : kTypes) out.emplace_back(t.name);
  return out;
}

std::string format_element(const ElementType& t, const uint8_t* p) {
  uint64_t bits = 0;
  for (int b = t.bytes - 1; b >= 0; --b) bits = bits << 8 | p[b];
  if (std::string_view(t.name) == "hex") return fmt::format("{:02x}", bits);
  if (!t.is_float) return std::to_string(bits);
  return fmt::format("{}", nx::decode(float_format(t), static_cast<uint32_t>(bits)));
}

MemoryImage parse_memory_image(std::string_view yaml, const std::string& file_name) {
  const ConfigNode root = config::parse_yaml(yaml, file_name);
  MemoryImage image;
  if (root.kind == ConfigNode::Kind::null) return image;
  if (!root.is_map()) fail(root, "memory", "expected a mapping with windows and regions, found " + config::describe(root));
  only_keys(root, "memory", {"windows", "regions"});
  if (const ConfigNode* ws = root.find("windows")) {
    if (ws->kind != ConfigNode::Kind::sequence) fail(*ws, "windows", "expected a list, found " + config::describe(*ws));
    for (size_t i = 0; i < ws->items.size(); ++i) {
      const ConfigNode& w = ws->items[i];
      const std::string path = fmt::format("windows[{}]", i);
      if (!w.is_map()) fail(w, path, "expected a mapping, found " + config::describe(w));
      only_keys(w, path, {"queue", "at", "bytes", "access"});
      Window win;
      win.queue = parse_queue(required(w, path, "queue"), path + ".queue");
      const GlobalAddress at = parse_address(required(w, path, "at"), path + ".at");
      win.gpu = at.where;
      win.offset = at.offset;
      const ConfigNode& bytes = required(w, path, "bytes");
      win.bytes = parse_unsigned(bytes, path + ".bytes", kOffsetLimit - at.offset);
      const ConfigNode& access = required(w, path, "access");
      const std::string a = scalar(access, path + ".access", "r, w or rw");
      win.access = a == "r" ? kRead : a == "w" ? kWrite : a == "rw" ? (kRead | kWrite) : 0;
      if (!win.access) fail(access, path + ".access", fmt::format("expected r, w or rw, found \"{}\"", a));
      image.windows.push_back(win);
    }
  }
  if (const ConfigNode* rs = root.find("regions")) {
    if (rs->kind != ConfigNode::Kind::sequence) fail(*rs, "regions", "expected a list, found " + config::describe(*rs));
    for (size_t i = 0; i < rs->items.size(); ++i) {
      const ConfigNode& r = rs->items[i];
      const std::string path = fmt::format("regions[{}]", i);
      if (!r.is_map()) fail(r, path, "expected a mapping, found " + config::describe(r));
      only_keys(r, path, {"at", "dtype", "values"});
      MemoryRegion region;
      const GlobalAddress at = parse_address(required(r, path, "at"), path + ".at");
      region.gpu = at.where;
      region.offset = at.offset;
      const ConfigNode& dt = required(r, path, "dtype");
      const std::string name = scalar(dt, path + ".dtype", "an element type");
      const ElementType* type = find_element_type(name);
      if (!type || name == "hex") {
        std::vector<std::string> names = element_type_names();
        names.pop_back();
        fail(dt, path + ".dtype", fmt::format("expected one of {}, found \"{}\"{}", config::join(names), name,
                                              config::did_you_mean(name, names)));
      }
      const ConfigNode& values = required(r, path, "values");
      if (values.kind != ConfigNode::Kind::sequence)
        fail(values, path + ".values", "expected a list of numbers, found " + config::describe(values));
      for (size_t v = 0; v < values.items.size(); ++v)
        append_value(values.items[v], fmt::format("{}.values[{}]", path, v), *type, region.bytes);
      if (region.bytes.size() > kOffsetLimit - region.offset)
        fail(r, path, "the region passes the end of the 2^40-byte offset space");
      image.regions.push_back(std::move(region));
    }
  }
  return image;
}

MemoryImage load_memory_image(const std::string& path) { return parse_memory_image(read_file(path), path); }

void apply(const MemoryImage& image, Memory& memory) {
  for (const MemoryRegion& r : image.regions) memory.write(r.gpu, r.offset, r.bytes.data(), r.bytes.size());
}

DumpRequest parse_dump(std::string_view spec) {
  DumpRequest r;
  r.spec = std::string(spec);
  assembly::LineCursor c(r.spec, SourceLocation{"--dump", 0, 1});
  r.type = find_element_type("hex");
  try {
    r.gpu = assembly::parse_gpu_id(c);
    c.expect(':', "':' and the offset");
    r.offset = static_cast<uint64_t>(c.expression({}));
    c.expect(':', "':' and the byte count");
    r.bytes = static_cast<uint64_t>(c.expression({}));
    if (c.accept(':')) {
      const std::string name(c.identifier());
      r.type = find_element_type(name);
      if (!r.type) c.fail(fmt::format("expected one of {}, found '{}'", config::join(element_type_names()), name));
    }
    if (!c.at_end()) c.fail("expected the end, found " + c.found());
  } catch (const UserError& e) {
    throw UserError(fmt::format("{} (expected GPU:OFFSET:BYTES[:TYPE], e.g. n1.g0:0x1000:64:bf16)", e.what()));
  }
  if (r.offset >= kOffsetLimit || r.bytes > kOffsetLimit - r.offset || r.bytes > (uint64_t{1} << 24))
    throw UserError(fmt::format("--dump {}: expected at most 16 MiB inside the 2^40-byte offset space", r.spec));
  if (r.bytes % static_cast<uint64_t>(r.type->bytes))
    throw UserError(fmt::format("--dump {}: {} bytes is not a whole number of {}", r.spec, r.bytes, r.type->name));
  return r;
}

std::string dump_memory(const Memory& memory, const DumpRequest& r) {
  const ElementType& type = *r.type;
  const auto size = static_cast<uint64_t>(type.bytes);
  const std::vector<uint8_t> data = memory.read(r.gpu, r.offset, r.bytes);
  const uint64_t per_line = std::string_view(type.name) == "hex" ? 16 : 8;
  std::string out = fmt::format("{}:{:#x} {} bytes as {}\n", r.gpu.str(), r.offset, r.bytes, type.name);
  const uint64_t n = r.bytes / size;
  for (uint64_t i = 0; i < n; i += per_line) {
    out += fmt::format("  {:#010x}:", r.offset + i * size);
    for (uint64_t j = i; j < n && j < i + per_line; ++j) out += " " + format_element(type, data.data() + j * size);
    out += "\n";
  }
  return out;
}

}  // namespace hwlab::isa

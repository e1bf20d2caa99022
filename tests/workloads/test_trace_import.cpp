#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/error.h"
#include "workloads/routing.h"
#include "workloads/trace_export.h"
#include "workloads/trace_import.h"

namespace fs = std::filesystem;
using hwlab::UserError;
using hwlab::workloads::load_routing_trace;
using hwlab::workloads::Routing;
using Catch::Matchers::Contains;

namespace {

// A fresh folder per test case under the system temp dir, removed afterwards. The process id keeps
// concurrent runs (other build folders, ctest -j) apart.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("hwlab_" + name + "_" + std::to_string(static_cast<long>(::getpid())))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A .npy file as NumPy writes it: magic, version, header length, the dict padded with spaces and a
// newline to a multiple of 64 bytes, then the data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  put_le(out, header.size(), major == 1 ? 2 : 4);
  return out + header + data;
}

std::string dict_of(const std::string& descr, const std::string& shape,
                    const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

std::string int_data(const std::vector<int64_t>& values, int item_bytes) {
  std::string out;
  for (int64_t v : values) put_le(out, static_cast<uint64_t>(v), item_bytes);
  return out;
}

// 3 tokens of top-4 over 16 experts.
const std::vector<int64_t> kTrace = {3, 1, 15, 0, 7, 8, 9, 10, 2, 4, 6, 5};

void check_trace(const Routing& r) {
  CHECK(r.num_tokens == 3);
  CHECK(r.top_k == 4);
  CHECK(r.num_experts == 16);
  CHECK(std::vector<int64_t>(r.experts.begin(), r.experts.end()) == kTrace);
  REQUIRE(r.weights.size() == 12);
  for (float w : r.weights) CHECK(w == 0.25f);
  CHECK(r.expert(1, 2) == 9);
  const std::vector<int64_t> loads = r.expert_loads();
  CHECK(loads[3] == 1);
  CHECK(loads[11] == 0);
}

// The message load_routing_trace throws, or "" when it does not throw.
std::string error_of(const std::string& path, int num_experts = 16, int top_k = 4) {
  try {
    load_routing_trace(path, num_experts, top_k);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("trace import: npy round trip for int64 and int32 in format versions 1 to 3", "[trace]") {
  TempDir dir("trace_npy");
  for (int major : {1, 2, 3}) {
    for (int bytes : {8, 4}) {
      INFO("version " << major << ", " << bytes << "-byte ints");
      const std::string path = dir.file("t" + std::to_string(major) + std::to_string(bytes) + ".npy");
      write_bytes(path, npy_bytes(dict_of(bytes == 8 ? "<i8" : "<i4", "(3, 4)"),
                                  int_data(kTrace, bytes), major));
      check_trace(load_routing_trace(path, 16, 4));
    }
  }
  // Key order and quoting as other writers produce them; extension case does not matter.
  const std::string path = dir.file("other.NPY");
  write_bytes(path, npy_bytes("{\"shape\": (3,4), \"fortran_order\": False, \"descr\": \"<i8\"}",
                              int_data(kTrace, 8)));
  check_trace(load_routing_trace(path, 16, 4));
}

TEST_CASE("trace import: csv round trip skipping comments and blank lines", "[trace]") {
  TempDir dir("trace_csv");
  const std::string path = dir.file("t.csv");
  write_bytes(path, "# expert ids, top-4 per token\n3,1,15,0\n\n  7, 8 ,9,10\r\n   # more\n2,4,6,5");
  check_trace(load_routing_trace(path, 16, 4));
}

TEST_CASE("trace import: npy errors name what was expected and what was found", "[trace]") {
  TempDir dir("trace_npy_errors");
  const auto npy = [&](const std::string& name, const std::string& bytes) {
    const std::string path = dir.file(name + ".npy");
    write_bytes(path, bytes);
    return path;
  };
  const std::string good_data = int_data(kTrace, 8);

  SECTION("unreadable file") {
    const std::string path = dir.file("missing.npy");
    CHECK_THAT(error_of(path), Contains(path + ": cannot open the routing trace"));
    CHECK_THAT(error_of(dir.path.string() + "/sub.npy"), Contains("cannot open"));
    fs::create_directory(dir.file("folder.npy"));
    CHECK_THAT(error_of(dir.file("folder.npy")), Contains("found a directory"));
  }
  SECTION("unknown extension") {
    CHECK_THAT(error_of(dir.file("t.txt")), Contains("expected a routing trace ending in .npy or "
                                                     ".csv, found '.txt'"));
  }
  SECTION("bad magic") {
    const std::string path = npy("magic", "PK\x03\x04 this is a zip file");
    CHECK_THAT(error_of(path), Contains(path + ": expected a NumPy .npy file starting with "
                                                "\\x93NUMPY, found 'PK\\x03\\x04 t'"));
    CHECK_THAT(error_of(npy("empty", "")), Contains("(0 bytes in all)"));
  }
  SECTION("unsupported version") {
    std::string bytes = npy_bytes(dict_of("<i8", "(3, 4)"), good_data);
    bytes[6] = 4;
    CHECK_THAT(error_of(npy("v4", bytes)),
               Contains("unsupported .npy format version 4.0: expected 1.0, 2.0 or 3.0"));
  }
  SECTION("truncated or malformed header") {
    const std::string bytes = npy_bytes(dict_of("<i8", "(3, 4)"), "");
    CHECK_THAT(error_of(npy("short", bytes.substr(0, 40))),
               Contains("truncated .npy header: expected 118 header bytes, found 30"));
    CHECK_THAT(error_of(npy("garbage", npy_bytes("not a dict", good_data))),
               Contains("malformed .npy header at character 1: expected '{'"));
    CHECK_THAT(error_of(npy("unclosed", npy_bytes("{'descr': '<i8", good_data))),
               Contains("expected a closing '"));
    CHECK_THAT(error_of(npy("nokeys", npy_bytes("{'descr': '<i8', 'shape': (3, 4)}", good_data))),
               Contains("expected the keys 'descr', 'fortran_order' and 'shape'"));
  }
  SECTION("unsupported dtype") {
    for (const char* descr : {"<f4", ">i8", "<u8", "|i1"}) {
      INFO(descr);
      CHECK_THAT(error_of(npy("dtype", npy_bytes(dict_of(descr, "(3, 4)"), good_data))),
                 Contains(std::string("unsupported dtype '") + descr +
                          "': expected '<i8' or '<i4'"));
    }
  }
  SECTION("fortran order") {
    CHECK_THAT(error_of(npy("fortran", npy_bytes(dict_of("<i8", "(3, 4)", "True"), good_data))),
               Contains("expected fortran_order False (C order), found True"));
  }
  SECTION("wrong number of dimensions") {
    CHECK_THAT(error_of(npy("1d", npy_bytes(dict_of("<i8", "(12,)"), good_data))),
               Contains("expected a 2-D array of shape (tokens, top_k), found 1 dimensions, shape "
                        "(12,)"));
    CHECK_THAT(error_of(npy("3d", npy_bytes(dict_of("<i8", "(3, 2, 2)"), good_data))),
               Contains("found 3 dimensions, shape (3, 2, 2)"));
  }
  SECTION("k different from the workload's top_k") {
    CHECK_THAT(error_of(npy("k", npy_bytes(dict_of("<i8", "(2, 6)"), good_data))),
               Contains("expected 4 expert ids per token (the workload's top_k), found shape (2, 6)"));
  }
  SECTION("truncated or trailing data") {
    const std::string path = npy("trunc", npy_bytes(dict_of("<i8", "(3, 4)"),
                                                    good_data.substr(0, 90)));
    CHECK_THAT(error_of(path),
               Contains(path + ": truncated data: expected 96 bytes for shape (3, 4) of '<i8', "
                               "found 90"));
    CHECK_THAT(error_of(npy("trail", npy_bytes(dict_of("<i8", "(3, 4)"), good_data + "xx"))),
               Contains("trailing data: expected 96 bytes"));
    // A shape too large for the file must not be multiplied into an overflow.
    CHECK_THAT(error_of(npy("huge", npy_bytes(dict_of("<i8", "(99999999999999, 4)"), good_data))),
               Contains("expected at most 2147483647 tokens"));
  }
  SECTION("values out of range, masked entries, duplicates") {
    std::vector<int64_t> v = kTrace;
    v[6] = 16;  // token 1, slot 2
    CHECK_THAT(error_of(npy("range", npy_bytes(dict_of("<i8", "(3, 4)"), int_data(v, 8)))),
               Contains("token 1, slot 2: expected an expert id in [0, 16), found 16"));
    v = kTrace;
    v[9] = -1;  // token 2, slot 1
    const std::string masked =
        error_of(npy("masked", npy_bytes(dict_of("<i4", "(3, 4)"), int_data(v, 4))));
    CHECK_THAT(masked, Contains("token 2, slot 1: expected an expert id in [0, 16), found -1"));
    CHECK_THAT(masked, Contains("masked entries (-1) are not supported"));
    v = kTrace;
    v[3] = 3;  // token 0: slots 0 and 3 both expert 3
    CHECK_THAT(error_of(npy("dup", npy_bytes(dict_of("<i8", "(3, 4)"), int_data(v, 8)))),
               Contains("token 0: expert 3 appears in slot 0 and again in slot 3"));
  }
  SECTION("zero tokens") {
    CHECK_THAT(error_of(npy("zero", npy_bytes(dict_of("<i8", "(0, 4)"), ""))),
               Contains("expected at least one token of 4 expert ids, found none"));
  }
  SECTION("workload parameters") {
    const std::string path = npy("ok", npy_bytes(dict_of("<i8", "(3, 4)"), good_data));
    CHECK_THAT(error_of(path, 4, 8), Contains("expected 1 <= top_k <= num_experts"));
  }
}

TEST_CASE("trace import: csv errors carry file:line:column", "[trace]") {
  TempDir dir("trace_csv_errors");
  const auto csv = [&](const std::string& name, const std::string& text) {
    const std::string path = dir.file(name + ".csv");
    write_bytes(path, text);
    return path;
  };
  SECTION("unreadable file") {
    CHECK_THAT(error_of(dir.file("missing.csv")), Contains("missing.csv: cannot open"));
  }
  SECTION("non-integer fields") {
    const std::string path = csv("text", "# top-4\n1,2,3,4\n5, 6.0 ,7,8\n");
    CHECK_THAT(error_of(path), Contains(path + ":3:4: token 1, slot 1: expected an integer expert "
                                               "id, found '6.0'"));
    const std::string header = csv("header", "e0,e1,e2,e3\n1,2,3,4\n");
    CHECK_THAT(error_of(header), Contains(header + ":1:1: token 0, slot 0: expected an integer "
                                                   "expert id, found 'e0' (a header line must "
                                                   "start with '#')"));
    CHECK_THAT(error_of(csv("empty_field", "1,2,,4\n")),
               Contains(":1:5: token 0, slot 2: expected an integer expert id, found ''"));
    CHECK_THAT(error_of(csv("overflow", "1,2,3,99999999999999999999\n")),
               Contains(":1:7: token 0, slot 3: expected an integer"));
  }
  SECTION("wrong number of fields") {
    const std::string path = csv("k", "1,2,3,4\n\n5,6,7\n");
    CHECK_THAT(error_of(path), Contains(path + ":3: token 1: expected 4 comma-separated expert ids "
                                               "(the workload's top_k), found 3 fields"));
    CHECK_THAT(error_of(csv("trailing_comma", "1,2,3,4,\n")), Contains("found 5 fields"));
  }
  SECTION("values out of range, masked entries, duplicates") {
    const std::string range = csv("range", "1,2,3,4\n# x\n0, 1, 2, 16\n");
    CHECK_THAT(error_of(range), Contains(range + ":3:10: token 1, slot 3: expected an expert id in "
                                                 "[0, 16), found 16"));
    const std::string masked = error_of(csv("masked", "1,-1,3,4\n"));
    CHECK_THAT(masked, Contains(":1:3: token 0, slot 1: expected an expert id in [0, 16), found -1"));
    CHECK_THAT(masked, Contains("masked entries (-1) are not supported"));
    const std::string dup = csv("dup", "1,2,3,4\n5,6,7,8\n9,10,11,10\n");
    CHECK_THAT(error_of(dup), Contains(dup + ":3:9: token 2: expert 10 appears in slot 1 and "
                                             "again in slot 3"));
  }
  SECTION("zero tokens") {
    CHECK_THAT(error_of(csv("none", "# nothing here\n\n   \n")),
               Contains("none.csv: expected at least one token of 4 expert ids, found none"));
    CHECK_THAT(error_of(csv("empty", "")), Contains("found none"));
  }
}

TEST_CASE("trace export: generated routing written as npy and csv reads back identically", "[trace]") {
  // 300 tokens of DeepSeek-V3's gate shape: the rows must come back in order, slot for slot.
  hwlab::workloads::RoutingParams p;
  p.popularity = hwlab::workloads::ExpertPopularity::zipf;
  p.zipf_exponent = 0.2;
  const Routing r = hwlab::workloads::generate_routing(p, 300, 7);
  TempDir dir("trace_export");
  for (const char* name : {"r.npy", "r.csv", "R.NPY"}) {
    const std::string path = dir.file(name);
    write_bytes(path, hwlab::workloads::trace_bytes(r, path));
    const Routing back = load_routing_trace(path, p.num_experts, p.top_k);
    INFO(name);
    CHECK(back.num_tokens == r.num_tokens);
    CHECK(back.experts == r.experts);
  }
  // NumPy's layout: the data starts at a multiple of 64 bytes (here after a 128-byte preamble).
  const std::string npy = hwlab::workloads::trace_bytes(r, "x.npy");
  CHECK(npy.size() - 300u * 8 * 4 == 128);
  CHECK(npy.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
  CHECK_THROWS_WITH(hwlab::workloads::trace_bytes(r, "trace.txt"),
                    Contains("trace.txt: expected a routing trace file ending in .npy or .csv, found '.txt'"));
}

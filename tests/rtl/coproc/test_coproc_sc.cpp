// The Verilated SystemC models of the co-processor blocks through their wrappers (RtlReduceUnit,
// RtlDescDecoder) in a SystemC simulation: results equal isa's REDUCE and isa::decode, and every
// call takes the documented cycles in simulated time. SystemC elaborates once per process, so each
// test simulates in a forked child (as emulator/emulate.cpp does) that reports its failures as text.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <systemc>

#include "common/atomic_file.h"
#include "isa/executor.h"
#include "isa/rows.h"
#include "rtl/coproc/rtl_desc_decoder.h"
#include "rtl/coproc/rtl_reduce_unit.h"

using namespace hwlab;
using namespace hwlab::isa;
using hwlab::rtl::RtlDescDecoder;
using hwlab::rtl::RtlReduceUnit;

// libsystemc calls sc_main from its own main(); these tests have Catch's main and never call it.
int sc_main(int, char**) { return 1; }

namespace {

const sc_core::sc_time kPeriod(1, sc_core::SC_NS);

// Runs `body` in a child process; its return value (the failures, "" when none) comes back.
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // "stopped by user"
    std::string text;
    try {
      text = body();
    } catch (const std::exception& e) {
      text = std::string("exception: ") + e.what();
    }
    for (size_t at = 0; at < text.size();) {
      const ssize_t n = ::write(fds[1], text.data() + at, text.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    ::close(fds[1]);
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text += fmt::format("child ended with status {}", status);
  return text;
}

// REDUCE by isa's executor: addend k of `codes` is the destination (accumulate) or GPU k's row.
std::vector<uint8_t> reference_reduce(const std::vector<std::vector<uint8_t>>& rows, const std::vector<Dtype>& types,
                                      uint64_t cols, Dtype dtype, bool accumulate) {
  Memory m;
  const uint64_t dst = 0, src = 0x10000;
  unsigned mask = 0, gpu = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    if (accumulate && k == 0) {
      m.write({0, 0}, dst, rows[k]);
      continue;
    }
    m.write({0, gpu}, src, rows[k]);
    mask |= 1u << gpu++;
  }
  Instruction insn = make("REDUCE", {{"dst", dst},
                                     {"srcs", pack_destination_set({0, 0, static_cast<uint8_t>(mask)})},
                                     {"src", src},
                                     {"cols", cols},
                                     {"rows", 1},
                                     {"stype", static_cast<uint64_t>(types.back())},
                                     {"dtype", static_cast<uint64_t>(dtype)},
                                     {"accumulate", accumulate ? 1u : 0u}});
  insn.index = 0;
  Program p;
  p.descriptors.push_back(insn);
  std::vector<Window> windows;
  for (unsigned g = 0; g < 8; ++g) windows.push_back({{{0, 0}, 0}, {0, g}, 0, kOffsetLimit, kRead | kWrite});
  Executor e(m, windows);
  e.run(p);
  return m.read({0, 0}, dst, row_bytes(dtype, cols));
}

std::vector<uint8_t> random_row(Dtype t, uint64_t cols, std::mt19937_64& rng) {
  std::vector<uint8_t> row(row_bytes(t, cols));
  for (auto& b : row) b = static_cast<uint8_t>(rng());
  // Mostly ordinary numbers: clear the top exponent bit of most elements.
  const uint64_t size = t == Dtype::bf16 ? 2 : 4;
  for (uint64_t i = 0; i < cols; ++i)
    if (rng() % 8) row[size * i + size - 1] &= 0xbf;
  return row;
}

struct ReduceBench : sc_core::sc_module {
  RtlReduceUnit unit{"reduce_rtl", kPeriod};
  std::string failures;
  uint64_t calls = 0;

  SC_HAS_PROCESS(ReduceBench);
  explicit ReduceBench(sc_core::sc_module_name name) : sc_core::sc_module(name) { SC_THREAD(run); }

  void run() {
    std::mt19937_64 rng(7);
    struct Shape {
      uint64_t cols;
      unsigned k;
      Dtype stype, dtype;
      bool accumulate;
    };
    const std::vector<Shape> shapes = {
        {1, 1, Dtype::fp32, Dtype::fp32, false},   {4, 2, Dtype::bf16, Dtype::fp32, false},
        {130, 3, Dtype::bf16, Dtype::fp32, false}, {7, 9, Dtype::fp32, Dtype::bf16, true},
        {64, 8, Dtype::bf16, Dtype::bf16, false},  {33, 5, Dtype::fp32, Dtype::fp32, true},
    };
    for (const Shape& s : shapes) {
      std::vector<std::vector<uint8_t>> rows;
      std::vector<Dtype> types;
      std::vector<rtl::ReduceAddend> addends;
      for (unsigned k = 0; k < s.k; ++k) {
        types.push_back(s.accumulate && k == 0 ? s.dtype : s.stype);
        rows.push_back(random_row(types.back(), s.cols, rng));
      }
      for (unsigned k = 0; k < s.k; ++k) addends.push_back({types[k], rows[k].data()});
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const rtl::ReduceOutcome got = unit.reduce(addends, s.cols, s.dtype);
      const sc_core::sc_time took = sc_core::sc_time_stamp() - start;
      ++calls;
      const std::string what = fmt::format("reduce cols={} K={} {}->{}{}", s.cols, s.k, dtype_name(s.stype),
                                           dtype_name(s.dtype), s.accumulate ? " accumulate" : "");
      if (got.row != reference_reduce(rows, types, s.cols, s.dtype, s.accumulate))
        failures += what + ": sums differ from REDUCE\n";
      if (got.cycles != RtlReduceUnit::cycles_for(s.cols, s.k))
        failures +=
            fmt::format("{}: {} cycles, documented {}\n", what, got.cycles, RtlReduceUnit::cycles_for(s.cols, s.k));
      // The caller waited the cycles in simulated time (the first call also waits out the reset).
      if (calls > 1 && took != static_cast<double>(got.cycles) * kPeriod)
        failures += fmt::format("{}: {} of simulated time for {} cycles\n", what, took.to_string(), got.cycles);
    }
    sc_core::sc_stop();
  }
};

struct DecoderBench : sc_core::sc_module {
  RtlDescDecoder decoder{"decoder_rtl", kPeriod};
  std::string failures;

  SC_HAS_PROCESS(DecoderBench);
  explicit DecoderBench(sc_core::sc_module_name name) : sc_core::sc_module(name) { SC_THREAD(run); }

  static std::string compare(const Descriptor& d, const rtl::RtlDecoded& got) {
    const DecodeResult want = decode(d.data());
    const bool fields = want.ok() || want.reason >= Reject::field_width;
    if (got.reason == want.reason && got.field == want.field && got.bit == want.bit && got.opcode == d[0] &&
        (!fields || got.fields == want.instruction.values))
      return "";
    return fmt::format("descriptor with opcode {:#04x}: isa::decode '{}' ({}), RTL {} field {} bit {}\n", d[0],
                       want.error, reject_name(want.reason), reject_name(got.reason), got.field, got.bit);
  }

  void run() {
    std::vector<Descriptor> queue;  // the example binaries, then malformed descriptors
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(HWLAB_SOURCE_DIR) + "/tests/data/isa/bin")) {
      const std::string bin = read_file(entry.path().string());
      for (size_t at = 0; at + kDescriptorBytes <= bin.size(); at += kDescriptorBytes) {
        Descriptor d;
        std::copy_n(reinterpret_cast<const uint8_t*>(bin.data()) + at, kDescriptorBytes, d.begin());
        queue.push_back(d);
      }
    }
    // Malformed ones: each check once (opcode, version, reserved bit, field range, cross-field rule).
    Descriptor bad = queue.front();
    bad[0] = 0x7e;
    queue.push_back(bad);
    for (int bit : {9, 13, 511}) {
      bad = queue.front();
      bad[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8));
      queue.push_back(bad);
    }
    Descriptor cast =
        encode(make("CAST", {{"dst", 0}, {"src", 0x100}, {"cols", 128}, {"rows", 1}, {"stype", 1}, {"dtype", 2}}));
    queue.push_back(cast);
    put_bits(cast.data(), find_mnemonic("CAST")->offsets[5], 2, 1);  // dtype = stype
    queue.push_back(cast);
    put_bits(cast.data(), find_mnemonic("CAST")->offsets[3], 16, 0);  // rows 0
    queue.push_back(cast);

    for (const Descriptor& d : queue) {
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const rtl::RtlDecoded got = decoder.decode(d);
      failures += compare(d, got);
      if (got.cycles != 1 + RtlDescDecoder::kLatency) failures += fmt::format("decode: {} cycles\n", got.cycles);
      if (start > sc_core::SC_ZERO_TIME &&
          sc_core::sc_time_stamp() - start != static_cast<double>(got.cycles) * kPeriod)
        failures += "decode: simulated time differs from its cycles\n";
    }
    uint64_t cycles = 0;
    const std::vector<rtl::RtlDecoded> all = decoder.decode_stream(queue, &cycles);
    for (size_t i = 0; i < queue.size(); ++i) failures += compare(queue[i], all[i]);
    if (cycles != queue.size() + RtlDescDecoder::kLatency)
      failures += fmt::format("decode_stream of {}: {} cycles\n", queue.size(), cycles);
    if (queue.size() < 50) failures += "too few descriptors in tests/data/isa/bin\n";
    sc_core::sc_stop();
  }
};

}  // namespace

TEST_CASE("SystemC reduce model: REDUCE's sums in ceil(cols/4)*K + 3 cycles", "[rtl][coproc][systemc]") {
  const std::string failures = in_child([] {
    ReduceBench bench("bench");
    sc_core::sc_start();
    return bench.failures + (bench.calls == 6 ? "" : "not every reduce call ran\n");
  });
  INFO(failures);
  CHECK(failures.empty());
}

TEST_CASE("SystemC decoder model: isa::decode's verdicts, one per cycle after one cycle", "[rtl][coproc][systemc]") {
  const std::string failures = in_child([] {
    DecoderBench bench("bench");
    sc_core::sc_start();
    return bench.failures;
  });
  INFO(failures);
  CHECK(failures.empty());
}

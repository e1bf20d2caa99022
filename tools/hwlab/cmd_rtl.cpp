// `hwlab rtl`: the RTL of the proposals (rtl/README.md).
//
//   hwlab rtl area [--json] [--out FILE] [--variants NAME,...] [--jobs N] [--yosys PATH] [--rtl-dir DIR]
//       Synthesises each variant of the FP8 dot-product-accumulate unit (rtl/fp8_dpa) with Yosys to
//       generic gates: the one top module fp8_dpa_unit with the variant's parameters from
//       fp8_dpa_variants.h (`chparam -set`), `synth -flatten -noshare`, then `dfflegalize` to plain
//       D flip-flops (so that enables and resets are counted as the gates they need); reads `stat`
//       and prints: variant, cells, flip-flops, estimated area in NAND2-equivalents, the ratio to the
//       Hopper-like unit (h100-fp8, always synthesised as the reference) and the datapath the
//       parameters build. --json prints an
//       hwlab.result/1 file instead (metrics: one object per variant); --out writes either to FILE
//       (atomically). Yosys is found on PATH (or --yosys); the RTL in the source tree this hwlab
//       was built from (or --rtl-dir).
//
// The area is an estimate: cell counts weighted by the areas of comparable standard cells, no
// placement, wiring or timing-driven sizing. The weights (kCellWeights) are the X1 cell areas of the
// NanGate 45 nm Open Cell Library divided by NAND2_X1's: INV 0.532, NAND2/NOR2 0.798, AND2/OR2
// 1.064, XOR2/XNOR2 1.596, MUX2 1.862, DFF 4.522 um^2; Yosys' AND-with-inverted-input cells count
// as AND2/OR2, its 3- and 4-input AOI/OAI cells as AOI21/AOI22 (1.064, 1.330). Same RTL, same
// Yosys: the same figures, byte for byte.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/result.h"
#include "common/version.h"
#include "rtl/fp8_dpa/fp8_dpa_variants.h"
#include "tools/hwlab/commands.h"

#ifndef HWLAB_SOURCE_DIR
#define HWLAB_SOURCE_DIR "."
#endif

namespace hwlab::cli {
namespace {

namespace fs = std::filesystem;

struct CellWeight {
  const char* cell;
  double nand2;  // NAND2-equivalents
};

constexpr double kNand2Um2 = 0.798;
constexpr CellWeight kCellWeights[] = {
    {"$_NOT_", 0.532 / kNand2Um2},   {"$_BUF_", 0.532 / kNand2Um2},   {"$_NAND_", 1.0},
    {"$_NOR_", 1.0},                 {"$_AND_", 1.064 / kNand2Um2},   {"$_OR_", 1.064 / kNand2Um2},
    {"$_ANDNOT_", 1.064 / kNand2Um2}, {"$_ORNOT_", 1.064 / kNand2Um2}, {"$_XOR_", 1.596 / kNand2Um2},
    {"$_XNOR_", 1.596 / kNand2Um2},  {"$_MUX_", 1.862 / kNand2Um2},   {"$_NMUX_", 1.862 / kNand2Um2},
    {"$_AOI3_", 1.064 / kNand2Um2},  {"$_OAI3_", 1.064 / kNand2Um2},  {"$_AOI4_", 1.330 / kNand2Um2},
    {"$_OAI4_", 1.330 / kNand2Um2},  {"$_DFF_P_", 4.522 / kNand2Um2},
};

struct AreaArgs {
  bool json = false;
  std::string out;
  std::vector<std::string> variants;
  int jobs = 1;
  std::string yosys = "yosys";
  std::string rtl_dir = std::string(HWLAB_SOURCE_DIR) + "/rtl/fp8_dpa";
};

struct VariantArea {
  const rtl::Fp8DpaVariant* variant = nullptr;
  std::map<std::string, long> cells;  // Yosys cell type -> count
  long total_cells = 0;
  long flops = 0;
  double area_nand2 = 0;
};

// The executable `name` names: a path, or a file found on PATH. Empty when there is none.
std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 && fs::is_regular_file(name) ? fs::absolute(name).string() : std::string();
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) return candidate;
  }
  return {};
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// A temporary folder, removed with its content when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hwlab-rtl-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary folder: " + std::string(std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string run_capture(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run: " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string yosys_version(const std::string& yosys) {
  std::string v = run_capture(shell_quote(yosys) + " -V 2>&1");
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.rfind("Yosys ", 0) != 0) throw UserError("--yosys '" + yosys + "' does not report a Yosys version: " + v);
  return v;
}

// The last lines of a file, for error messages.
std::string tail_of(const fs::path& file, size_t lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string s;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) s += all[i] + "\n";
  return s;
}

// Cell counts of a `stat` report: the lines "     $_AND_     1224" after "Number of cells:".
std::map<std::string, long> parse_stat(const std::string& text, const std::string& what) {
  std::map<std::string, long> cells;
  std::istringstream in(text);
  bool in_cells = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("Number of cells:") != std::string::npos) {
      in_cells = true;
      continue;
    }
    if (!in_cells) continue;
    std::istringstream fields(line);
    std::string cell;
    long count = 0;
    if (!(fields >> cell >> count) || cell.empty() || cell[0] != '$') break;
    cells[cell] += count;
  }
  if (cells.empty()) throw std::runtime_error(what + ": no cell counts in Yosys' stat report");
  return cells;
}

double weight_of(const std::string& cell) {
  for (const CellWeight& w : kCellWeights) {
    if (cell == w.cell) return w.nand2;
  }
  throw std::runtime_error("Yosys reported cell type " + cell +
                           ", which has no area weight in tools/hwlab/cmd_rtl.cpp (kCellWeights)");
}

std::vector<const rtl::Fp8DpaVariant*> chosen_variants(const std::vector<std::string>& names) {
  std::vector<const rtl::Fp8DpaVariant*> chosen;
  const rtl::Fp8DpaVariant& hopper = rtl::kFp8DpaVariants[rtl::kFp8DpaHopperVariant];
  if (names.empty()) {
    for (const rtl::Fp8DpaVariant& v : rtl::kFp8DpaVariants) chosen.push_back(&v);
    return chosen;
  }
  chosen.push_back(&hopper);
  for (const std::string& name : names) {
    const rtl::Fp8DpaVariant* found = nullptr;
    for (const rtl::Fp8DpaVariant& v : rtl::kFp8DpaVariants) {
      if (name == v.name) found = &v;
    }
    if (found == nullptr) {
      std::string valid;
      for (const rtl::Fp8DpaVariant& v : rtl::kFp8DpaVariants) valid += std::string(valid.empty() ? "" : ", ") + v.name;
      throw UserError("--variants: unknown variant '" + name + "'; valid: " + valid);
    }
    bool seen = false;
    for (const rtl::Fp8DpaVariant* c : chosen) seen = seen || c == found;
    if (!seen) chosen.push_back(found);
  }
  return chosen;
}

// "ARCH=0 N=32 F=13 ...": the variant's parameters of the top module.
std::string parameter_text(const rtl::Fp8DpaVariant& v) {
  std::string text;
  for (const rtl::Fp8DpaParameter& p : rtl::parameters_of(v).p) {
    text += (text.empty() ? "" : " ") + std::string(p.name) + "=" + std::to_string(p.value);
  }
  return text;
}

// What the parameters build, in words: "block N=32 F=13 trunc, 13 bits RZ", "fp32 chain N=32, RNE each".
std::string datapath_text(const rtl::Fp8DpaVariant& v) {
  const std::string n = "N=" + std::to_string(v.products);
  switch (v.arch) {
    case rtl::Fp8DpaArch::block:
      return "block " + n + " F=" + std::to_string(v.align_bits) + (v.align_rne != 0 ? " RNE" : " trunc") + ", " +
             std::to_string(v.result_bits) + " bits " + (v.result_rne != 0 ? "RNE" : "RZ") +
             (v.scaled != 0 ? ", MX scales" : "");
    case rtl::Fp8DpaArch::fp32_chain:
      return "fp32 chain " + n + ", RNE each step";
    case rtl::Fp8DpaArch::exact:
      return "exact " + n + ", RNE once";
  }
  return "ARCH " + std::to_string(static_cast<int>(v.arch));
}

// Yosys: re-elaborate the top module with the variant's parameters.
std::string chparam_command(const rtl::Fp8DpaVariant& v) {
  std::string c = "chparam";
  for (const rtl::Fp8DpaParameter& p : rtl::parameters_of(v).p) {
    c += " -set " + std::string(p.name) + " " + std::to_string(p.value);
  }
  return c + " " + rtl::kFp8DpaTop;
}

void run_area(const AreaArgs& args) {
  const std::vector<const rtl::Fp8DpaVariant*> variants = chosen_variants(args.variants);
  const std::string yosys = find_executable(args.yosys);
  if (yosys.empty()) {
    throw UserError(args.yosys == "yosys"
                        ? "yosys not found on PATH (tools/setup/install-deps.sh installs it; or give --yosys PATH)"
                        : "--yosys '" + args.yosys + "': no such executable");
  }
  std::vector<std::string> sources;
  for (const char* s : rtl::kFp8DpaSources) {
    const fs::path p = fs::path(args.rtl_dir) / s;
    if (!fs::is_regular_file(p)) {
      throw UserError("--rtl-dir '" + args.rtl_dir + "': expected the FP8 unit's sources there, " + s +
                      " is missing");
    }
    sources.push_back(fs::absolute(p).string());
  }
  const std::string version = yosys_version(yosys);

  TempDir tmp;
  std::vector<VariantArea> areas(variants.size());
  std::map<pid_t, size_t> running;  // Yosys runs in flight: process -> variant index
  // Waits for any run to end and reads its report.
  auto finish_one = [&]() {
    int status = 0;
    pid_t pid;
    do {
      pid = ::waitpid(-1, &status, 0);
    } while (pid < 0 && errno == EINTR);
    if (pid < 0) throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
    const auto it = running.find(pid);
    if (it == running.end()) return;  // not one of ours
    const size_t index = it->second;
    running.erase(it);
    const rtl::Fp8DpaVariant& v = *variants[index];
    const fs::path log = tmp.path() / (std::string(v.rtl_name) + ".log");
    const fs::path stat = tmp.path() / (std::string(v.rtl_name) + ".stat");
    if (status != 0 || !fs::is_regular_file(stat)) {
      throw std::runtime_error(std::string("yosys failed on ") + v.name + " (status " + std::to_string(status) +
                               "):\n" + tail_of(log, 20));
    }
    std::ifstream in(stat);
    std::stringstream text;
    text << in.rdbuf();
    VariantArea& a = areas[index];
    a.variant = &v;
    a.cells = parse_stat(text.str(), v.name);
    for (const auto& [cell, count] : a.cells) {
      a.total_cells += count;
      a.area_nand2 += static_cast<double>(count) * weight_of(cell);
      if (cell == "$_DFF_P_") a.flops += count;
    }
  };
  try {
    for (size_t i = 0; i < variants.size(); ++i) {
      const rtl::Fp8DpaVariant& v = *variants[i];
      const fs::path script = tmp.path() / (std::string(v.rtl_name) + ".ys");
      const fs::path stat = tmp.path() / (std::string(v.rtl_name) + ".stat");
      const fs::path log = tmp.path() / (std::string(v.rtl_name) + ".log");
      std::string ys = "read_verilog -sv";
      for (const std::string& s : sources) ys += " \"" + s + "\"";
      ys += "\n" + chparam_command(v) + "\nsynth -flatten -noshare -top " + std::string(rtl::kFp8DpaTop) +
            "\ndfflegalize -cell $_DFF_P_ x\nopt_clean\ntee -q -o " + stat.filename().string() + " stat\n";
      write_file_atomically(script.string(), ys);
      // Yosys runs in the temporary folder: `tee -o` takes its file name without quotes.
      const std::string command = "cd " + shell_quote(tmp.path().string()) + " && exec " + shell_quote(yosys) +
                                  " -q -s " + shell_quote(script.string()) + " >" + shell_quote(log.string()) +
                                  " 2>&1";
      while (static_cast<int>(running.size()) >= args.jobs) finish_one();
      std::fprintf(stderr, "hwlab rtl area: synthesising %s (%s)\n", v.name, parameter_text(v).c_str());
      const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
      pid_t pid = 0;
      if (const int err = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ);
          err != 0) {
        throw std::runtime_error("cannot run /bin/sh: " + std::string(std::strerror(err)));
      }
      running[pid] = i;
    }
    while (!running.empty()) finish_one();
  } catch (...) {
    // Stop the other runs (each is a Yosys process of ours: `exec`) before the folder goes.
    for (const auto& [pid, index] : running) ::kill(pid, SIGTERM);
    for (const auto& [pid, index] : running) ::waitpid(pid, nullptr, 0);
    throw;
  }

  const double reference = areas[0].area_nand2;  // the Hopper-like unit comes first
  std::string out;
  if (args.json) {
    Result r;
    r.source = "emulated";
    r.tool_version = hwlab::version();
    r.git_commit = hwlab::git_commit();
    r.platform = nlohmann::json::object();
    r.workload = {{"kind", "rtl-area"},
                  {"unit", "fp8_dpa"},
                  {"synthesis",
                   "yosys: chparam (the variant's parameters); synth -flatten -noshare; dfflegalize -cell $_DFF_P_ x;"
                   " opt_clean; stat"},
                  {"yosys", version}};
    nlohmann::json weights = nlohmann::json::object();
    for (const CellWeight& w : kCellWeights) weights[w.cell] = w.nand2;
    nlohmann::json chosen = nlohmann::json::array();
    nlohmann::json parameters = nlohmann::json::object();  // variant -> {parameter: value}
    for (const VariantArea& a : areas) {
      chosen.push_back(a.variant->name);
      for (const rtl::Fp8DpaParameter& p : rtl::parameters_of(*a.variant).p) {
        parameters[a.variant->name][p.name] = p.value;
      }
    }
    r.proposal = {{"variants", chosen},
                  {"top", rtl::kFp8DpaTop},
                  {"parameters", parameters},
                  {"reference", areas[0].variant->name},
                  {"area_unit", "NAND2 equivalents (NanGate 45nm X1 cell areas / NAND2_X1), an estimate"},
                  {"cell_weights", weights}};
    for (const VariantArea& a : areas) {
      nlohmann::json cells = nlohmann::json::object();
      for (const auto& [cell, count] : a.cells) cells[cell.substr(2, cell.size() - 3)] = count;  // $_AND_ -> AND
      r.metrics[a.variant->name] = {{"cells", a.total_cells},
                                    {"flops", a.flops},
                                    {"area_nand2", a.area_nand2},
                                    {"ratio_to_reference", a.area_nand2 / reference},
                                    {"cell_counts", cells}};
    }
    r.run = {{"command", "hwlab rtl area --json"}, {"rtl_dir", args.rtl_dir}};
    out = to_json_text(r);
  } else {
    char line[256];
    out += "# hwlab rtl area: FP8 dot-product-accumulate unit (rtl/fp8_dpa), " + version + "\n";
    out += "# synth -flatten -noshare to generic gates, flip-flops legalised to plain DFFs; est. area = cells x\n";
    out += "# NAND2-equivalent weights (NanGate 45nm X1 areas: NOT 0.67, NAND/NOR 1, AND/OR 1.33,\n";
    out += "# XOR/XNOR 2, MUX 2.33, DFF 5.67): an estimate. Ratio to " +
           std::string(areas[0].variant->name) + ".\n";
    out += "# Top module " + std::string(rtl::kFp8DpaTop) + ", each variant's parameters set with chparam.\n";
    std::snprintf(line, sizeof line, "%-12s %8s %7s %10s %7s  %s\n", "variant", "cells", "flops", "est.area",
                  "ratio", "datapath (parameters)");
    out += line;
    for (const VariantArea& a : areas) {
      std::snprintf(line, sizeof line, "%-12s %8ld %7ld %10.0f %7.3f  %s\n", a.variant->name, a.total_cells,
                    a.flops, a.area_nand2, a.area_nand2 / reference, datapath_text(*a.variant).c_str());
      out += line;
    }
  }
  if (args.out.empty()) {
    std::fputs(out.c_str(), stdout);
  } else {
    write_file_atomically(args.out, out);
  }
}

}  // namespace

void add_rtl_command(CLI::App& app) {
  auto* rtl = app.add_subcommand("rtl", "The RTL of the proposals: synthesis area (rtl/README.md)");
  rtl->require_subcommand(1);
  auto args = std::make_shared<AreaArgs>();
  auto* area = rtl->add_subcommand(
      "area", "Yosys area of each FP8 dot-product-accumulate unit variant, in NAND2-equivalents, vs Hopper's");
  area->add_flag("--json", args->json, "print an hwlab.result/1 file instead of the table");
  area->add_option("--out", args->out, "write the table (or JSON) to this file instead of stdout");
  area->add_option("--variants", args->variants, "variants to synthesise, comma-separated (default: all)")
      ->delimiter(',');
  area->add_option("--jobs", args->jobs, "Yosys runs in parallel")->check(CLI::Range(1, 64));
  area->add_option("--yosys", args->yosys, "the Yosys executable (default: yosys on PATH)");
  area->add_option("--rtl-dir", args->rtl_dir,
                   "folder of the unit's sources (default: rtl/fp8_dpa of the source tree)");
  area->callback([args] { run_area(*args); });
}

}  // namespace hwlab::cli

// `hwlab fp8 gemm-check`: compares the FP8 GPU probes' dumps (kernels/numerics/fp8_probe.cu) with
// the bit-exact models, output by output, and prints match counts per configuration.
//
//   hwlab fp8 gemm-check DUMP... [--model PRESET]... [--promotion NC,...] [--scale-layout LA,LB]
//                        [--mismatches N] [--json FILE --device NAME --driver VERSION]
//
// Without --model, each record is checked against its path's default hypothesis (what we believe
// the hardware does: fp8_dump.h's default_hypothesis). With --model (repeatable) and --promotion
// (a list), every record is checked against every combination: a sweep that tells which hypothesis
// the hardware follows. Records named "*/promotion-probe/*" also get a direct readout: for output
// column 0, the longest run of small products lost with the big one, plus one, is the promotion
// interval (probe_inputs.h explains the vectors).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/result.h"
#include "common/version.h"
#include "isa/numerics/fp8_dump.h"
#include "isa/numerics/formats.h"
#include "isa/numerics/probe_inputs.h"
#include "tools/hwlab/commands.h"

namespace hwlab::cli {
namespace {

namespace nx = hwlab::numerics;

struct CheckArgs {
  std::vector<std::string> dumps;
  std::vector<std::string> models;
  std::vector<int> promotions;
  std::vector<std::string> scale_layout{"mn-inner", "k-inner"};
  std::string k_order;
  int mismatches = 4;
  std::string json, device, driver;
};

std::string value_text(uint32_t bits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x (%.9g)", bits, static_cast<double>(nx::float_from_bits(bits)));
  return buf;
}

// Readout of a promotion-probe record: lost small products per row, for output column 0.
void print_promotion_readout(const nx::DumpRecord& r) {
  const int k = static_cast<int>(r.header.k);
  const bool e5m2 = r.header.format_a == nx::dump::kE5M2;
  const double small = nx::probe::fp8_value(e5m2, nx::probe::pow2_code(e5m2, -6));
  int max_lost = -1, min_lost = k;
  for (uint32_t i = 0; i < r.header.m; ++i) {
    const double d = nx::float_from_bits(r.d[static_cast<size_t>(i) * r.header.n]);
    const double survivors = (d - 256.0) / small;
    const int lost = (k - 1) - static_cast<int>(std::lround(survivors));
    max_lost = std::max(max_lost, lost);
    min_lost = std::min(min_lost, lost);
  }
  std::printf("#   promotion readout: small products lost with the big one: %d .. %d; "
              "interval = longest loss + 1 = %d (K = %d)\n",
              min_lost, max_lost, max_lost + 1, k);
}

void run_check(const CheckArgs& args) {
  if (args.scale_layout.size() != 2) {
    throw UserError("--scale-layout needs two layouts, for A and for B (e.g. mn-inner,k-inner)");
  }
  auto layout_of = [](const std::string& s) {
    return s == "mn-inner" ? nx::ScaleLayout::mn_inner : nx::ScaleLayout::k_inner;
  };
  if (!args.json.empty() && args.device.empty()) {
    throw UserError("--json needs --device (the GPU's name as nvidia-smi gives it) and --driver");
  }
  std::vector<int> promotions = args.promotions;
  for (int p : promotions) {
    if (p < 0) throw UserError("--promotion: intervals must be 0 (never) or positive, found " + std::to_string(p));
  }
  std::printf("# hwlab fp8 gemm-check: GPU outputs vs the model, FP32 bits\n");
  std::printf("# %-26s %-44s %-13s %5s %5s %6s  %-34s %17s\n", "file", "record", "path", "m", "n", "k",
              "hypothesis", "matches / total");
  nlohmann::json metrics = nlohmann::json::object();
  size_t configs = 0, imperfect = 0;
  for (const std::string& file : args.dumps) {
    const std::vector<nx::DumpRecord> records = nx::read_dump(file);
    for (const nx::DumpRecord& r : records) {
      std::vector<nx::Hypothesis> hyps;
      const nx::Hypothesis def = nx::default_hypothesis(r);
      const std::vector<std::string> models = args.models.empty() ? std::vector<std::string>{def.model} : args.models;
      const std::vector<int> proms = promotions.empty() ? std::vector<int>{def.promotion} : promotions;
      for (const std::string& m : models) {
        for (int p : proms) {
          nx::Hypothesis h;
          h.model = m;
          h.promotion = p;
          h.scale_layout_a = layout_of(args.scale_layout[0]);
          h.scale_layout_b = layout_of(args.scale_layout[1]);
          h.k_order = args.models.empty() && args.k_order.empty() ? def.k_order : args.k_order;
          hyps.push_back(h);
        }
      }
      for (const nx::Hypothesis& h : hyps) {
        const nx::CheckResult res = nx::check_record(r, h, static_cast<size_t>(std::max(0, args.mismatches)));
        ++configs;
        if (res.matches != res.total) ++imperfect;
        const std::string base = file.substr(file.find_last_of('/') + 1);
        std::printf("  %-26s %-44s %-13s %5u %5u %6u  %-34s %8zu / %-8zu%s\n", base.c_str(), r.name.c_str(),
                    nx::path_name(r.path()), r.header.m, r.header.n, r.header.k, h.str().c_str(), res.matches,
                    res.total, res.matches == res.total ? "" : "  MISMATCH");
        for (const nx::Mismatch& mm : res.first) {
          std::printf("#     (%u, %u): gpu %s  model %s\n", mm.i, mm.j, value_text(mm.gpu_bits).c_str(),
                      value_text(mm.model_bits).c_str());
        }
        std::string key = r.name + "|" + h.str();
        for (char& ch : key) {
          if (ch == '.') ch = '_';
        }
        metrics[key] = {{"matches", res.matches}, {"total", res.total}};
      }
      if (r.name.find("promotion-probe") != std::string::npos && !r.sampled()) print_promotion_readout(r);
      if (!r.library.empty()) std::printf("#   library: %s\n", r.library.c_str());
    }
  }
  std::printf("# %zu configuration(s) checked, %zu with mismatches\n", configs, imperfect);
  if (!args.json.empty()) {
    Result result;
    result.source = "measured";
    result.tool_version = version();
    result.git_commit = git_commit();
    result.platform = nlohmann::json::object();
    result.workload = {{"kind", "fp8-gemm-check"}, {"dumps", args.dumps}};
    result.proposal = nullptr;
    DeviceInfo dev;
    dev.name = args.device;
    dev.count = 1;
    dev.driver = args.driver;
    result.device = dev;
    result.metrics = metrics;
    write_result(args.json, result);
  }
}

}  // namespace

void add_fp8_check_command(CLI::App& fp8) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = fp8.add_subcommand("gemm-check", "Compare FP8 GPU probe dumps with the models, bit for bit");
  cmd->add_option("dumps", args->dumps, "dump files written by kernels/numerics/fp8_probe")->required();
  cmd->add_option("--model", args->models,
                  "hypothesis: a preset, with modifiers (repeatable; default: each path's own)");
  cmd->add_option("--promotion", args->promotions, "promotion intervals N_C to try, comma-separated (0: never)")
      ->delimiter(',');
  cmd->add_option("--scale-layout", args->scale_layout,
                  "block-scale storage of A and of B: k-inner or mn-inner each (default mn-inner,k-inner)")
      ->delimiter(',')
      ->check(CLI::IsMember({"k-inner", "mn-inner"}));
  cmd->add_option("--k-order", args->k_order, "order in which K feeds the blocks: pairs (see fp8_dump.h)");
  cmd->add_option("--mismatches", args->mismatches, "mismatching outputs to list per configuration");
  cmd->add_option("--json", args->json, "write the match counts as an hwlab.result/1 file");
  cmd->add_option("--device", args->device, "GPU name for --json (as nvidia-smi names it)");
  cmd->add_option("--driver", args->driver, "driver version for --json");
  cmd->callback([args] { run_check(*args); });
}

}  // namespace hwlab::cli

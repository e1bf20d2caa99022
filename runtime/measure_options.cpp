#include <fmt/format.h>

#include "common/error.h"
#include "runtime/measure.h"

namespace hwlab::runtime {

CommMode parse_comm_mode(const std::string& text) {
  if (text == "sm") return CommMode::sm;
  if (text == "nccl") return CommMode::nccl;
  if (text == "copy-engine") return CommMode::copy_engine;
  throw UserError(fmt::format("--comm: expected sm, nccl or copy-engine, found '{}'", text));
}

const char* comm_mode_name(CommMode mode) {
  switch (mode) {
    case CommMode::sm: return "sm";
    case CommMode::nccl: return "nccl";
    case CommMode::copy_engine: return "copy-engine";
  }
  return "?";
}

CombineMethod parse_combine_method(const std::string& text) {
  if (text == "pull") return CombineMethod::pull;
  if (text == "push") return CombineMethod::push;
  throw UserError(fmt::format("--sm-combine: expected pull or push, found '{}'", text));
}

const char* combine_method_name(CombineMethod method) {
  return method == CombineMethod::pull ? "pull" : "push";
}

bool parse_block_scaling(const std::string& text) {
  if (text == "block") return true;
  if (text == "tensor") return false;
  throw UserError(fmt::format("--gemm-scales: expected block or tensor, found '{}'", text));
}

std::vector<int> parse_sm_counts(const std::string& text) {
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
      throw UserError(fmt::format("--comm-sms: expected SM counts like 20, 2,4,8 or 2:32, found '{}'", text));
    const int v = std::stoi(s);
    if (v < 1 || v > 1024) throw UserError(fmt::format("--comm-sms: {} is outside 1..1024", v));
    return v;
  };
  std::vector<int> out;
  const size_t colon = text.find(':');
  if (colon != std::string::npos) {
    const int lo = number(text.substr(0, colon)), hi = number(text.substr(colon + 1));
    if (lo > hi) throw UserError(fmt::format("--comm-sms: {} is larger than {}", lo, hi));
    for (int k = lo; k <= hi; k *= 2) out.push_back(k);
    return out;
  }
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(number(text.substr(start, comma - start)));
  out.push_back(number(text.substr(start)));
  return out;
}

void check_common(const CommonMeasureOptions& o) {
  if (o.warmup < 0) throw UserError(fmt::format("--warmup: expected 0 or more, found {}", o.warmup));
  if (o.iterations < 1) throw UserError(fmt::format("--iters: expected at least 1, found {}", o.iterations));
  if (o.timeout_s < 1) throw UserError(fmt::format("--timeout: expected at least 1 s, found {}", o.timeout_s));
}

}  // namespace hwlab::runtime

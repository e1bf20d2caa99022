// MMA.FP8: the FP8 tensor-core proposals of DeepSeek-V3 §3.5.2 and arXiv 2505.09343 §3.1 as one
// instruction: an accumulation width chosen per instruction (acc-F of isa/numerics, or full FP32) and
// fine-grained scales applied by the MMA itself (group_scaled). The arithmetic is isa/numerics' GEMM.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/numerics/gemm.h"
#include "isa/numerics/presets.h"

namespace hwlab::isa::insns {
namespace {

namespace nx = hwlab::numerics;

constexpr uint64_t kMaxProducts = uint64_t{1} << 32;  // M*N*K the functional model will compute

std::vector<float> floats(const std::vector<uint8_t>& bytes) {
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t b = 0;
    for (int j = 3; j >= 0; --j) b = b << 8 | bytes[4 * i + static_cast<size_t>(j)];
    out[i] = nx::float_from_bits(b);
  }
  return out;
}

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  nx::GemmProblem p;
  p.m = static_cast<int>(insn.u("m"));
  p.n = static_cast<int>(insn.u("n"));
  p.k = static_cast<int>(insn.u("k"));
  const uint64_t m = insn.u("m"), n = insn.u("n"), k = insn.u("k");
  if (m * n * k > kMaxProducts) ctx.fail(fmt::format("M*N*K = {} is more than the functional model computes ({})",
                                                     m * n * k, kMaxProducts));
  p.format = insn.u("format") == 0 ? nx::Format::e4m3 : nx::Format::e5m2;
  const GpuId self = ctx.self();
  p.a = ctx.load(self, insn.u("a"), m * k);
  p.b = ctx.load(self, insn.u("b"), n * k);
  const uint64_t k128 = (k + 127) / 128, k32 = (k + 31) / 32;
  switch (insn.u("scaling")) {
    case 0:
      p.scales.granularity = nx::ScaleGranularity::per_tensor;
      p.scales.a = floats(ctx.load(self, insn.u("sa"), 4));
      p.scales.b = floats(ctx.load(self, insn.u("sb"), 4));
      break;
    case 1:
      p.scales.granularity = nx::ScaleGranularity::deepseek;
      p.scales.a = floats(ctx.load(self, insn.u("sa"), 4 * m * k128));
      p.scales.b = floats(ctx.load(self, insn.u("sb"), 4 * ((n + 127) / 128) * k128));
      break;
    default:
      p.scales.granularity = nx::ScaleGranularity::mx;
      p.scales.a_ue8m0 = ctx.load(self, insn.u("sa"), m * k32);
      p.scales.b_ue8m0 = ctx.load(self, insn.u("sb"), n * k32);
      break;
  }
  const uint64_t acc = insn.u("acc");
  const nx::BlockFmaModel model = nx::preset(acc == 0 ? std::string("fp32-acc") : fmt::format("acc-{}", acc));
  nx::GemmOptions options;
  options.promotion_interval = static_cast<int>(insn.u("promotion"));
  options.group_scaled_mma = insn.u("group_scaled") != 0;
  options.threads = 1;  // results do not depend on it; one thread keeps the executor single-threaded
  const std::string why = nx::check_gemm(model, p, options);
  if (!why.empty()) ctx.fail(why);
  const std::vector<float> d = nx::gemm(model, p, options);
  std::vector<uint8_t> out(4 * d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    const uint32_t b = nx::float_bits(d[i]);
    for (size_t j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(b >> (8 * j));
  }
  ctx.store(self, insn.u("d"), out);
  ctx.count(self, self, 0, out.size());
  return StepResult::done;
}

}  // namespace

const Semantics mma_fp8{
    execute, nullptr,
    "D = A B^T with A (M x K) and B (N x K) FP8 codes of `format`, row-major, on the executing GPU; D is "
    "M x N FP32, row-major. The arithmetic is isa/numerics' GEMM (`gemm.h`) with block-FMA model `fp32-acc` "
    "when `acc=fp32` and `acc-F` otherwise (F fraction bits kept after alignment, truncating; `acc=13` is "
    "Hopper's FP8 MMA, `h100-fp8`), promotion to FP32 every `promotion` elements of K (0: never), and the "
    "scales of `scaling`: tensor (one FP32 scale at `sa` and one at `sb`), tile (DeepSeek-V3: A one FP32 per "
    "row per 128 of K, M x ceil(K/128); B one FP32 per 128x128 block, ceil(N/128) x ceil(K/128)), mx (UE8M0 "
    "bytes per 32 of K, M x ceil(K/32) and N x ceil(K/32)), applied at promotion or, with "
    "`group_scaled=yes`, to each product inside the MMA. Combinations `check_gemm` rejects (a promotion "
    "interval that splits a scale group without group scaling, NaN codes) are errors. Counted as the bytes "
    "of D, local."};

}  // namespace hwlab::isa::insns

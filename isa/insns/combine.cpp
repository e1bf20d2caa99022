// COMBINE: EP combine as descriptors, in the two places the work happens. With IB->NVLink forwarding
// the forwarder of each remote node first reduces its node's partial sums and sends one BF16 row over
// IB (forward stage, arXiv 2505.09343 §4.4.1 "Reduce Operations"); the token's owner then adds the
// node sums and its own node's rows in node order and rounds once (final stage).
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/routing_table.h"

namespace hwlab::isa::insns {
namespace {

constexpr uint64_t kBf16 = 1, kFp32 = 0;

uint64_t own_set(const ExecContext& ctx, unsigned plane) {
  return pack_destination_set({plane, ctx.self().node, static_cast<uint8_t>(1u << ctx.self().gpu)});
}

Instruction reduce(uint64_t dst, uint64_t srcs, uint64_t src, uint64_t cols, uint64_t stype, uint64_t dtype,
                   bool accumulate) {
  return make("REDUCE", {{"dst", dst}, {"srcs", srcs}, {"src", src}, {"cols", cols}, {"rows", 1},
                         {"stype", stype}, {"dtype", dtype}, {"accumulate", accumulate ? 1u : 0u}});
}

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const bool final_stage = insn.u("stage") == 1;
  const uint64_t entries = insn.u("entries"), cols = insn.u("cols"), row = 2 * cols;
  const auto plane = static_cast<unsigned>(insn.u("plane"));
  const std::vector<uint8_t> table = ctx.load(ctx.self(), insn.u("table"), entries * kRoutingEntryBytes);
  for (uint64_t i = 0; i < entries; ++i) {
    RoutingEntry e;
    std::string why = decode_entry(table.data() + i * kRoutingEntryBytes, e);
    if (why.empty() && final_stage != (e.kind == EntryKind::pull || e.kind == EntryKind::partial))
      why = fmt::format("kind {} does not belong to the {} stage", entry_kind_name(e.kind), final_stage ? "final" : "forward");
    if (!why.empty()) ctx.fail(fmt::format("routing table entry {}: {}", i, why));
    if (!final_stage) {
      const uint64_t staged = insn.u("staging") + i * row;
      const uint64_t srcs = pack_destination_set({plane, ctx.self().node, e.mask});
      ctx.run_primitive(reduce(staged, srcs, insn.u("y") + e.row_a * row, cols, kBf16, kBf16, false));
      const GlobalAddress owner{plane, {e.node, e.gpu}, insn.u("gather") + e.row_b * row};
      ctx.run_primitive(make("WRITE", {{"dst", pack_address(owner)}, {"src", staged}, {"bytes", row}}));
      continue;
    }
    const uint64_t scratch = insn.u("scratch") + e.row_b * 4 * cols;
    const uint64_t base = e.kind == EntryKind::pull ? insn.u("y") : insn.u("gather");
    const uint64_t srcs = pack_destination_set({plane, e.node, e.mask});
    ctx.run_primitive(reduce(scratch, srcs, base + e.row_a * row, cols, kBf16, kFp32, !(e.flags & kEntryFirst)));
    if (e.flags & kEntryLast)
      ctx.run_primitive(reduce(insn.u("out") + e.row_b * row, own_set(ctx, plane), scratch, cols, kFp32, kBf16, false));
  }
  if (!final_stage)
    for (unsigned n = 0; n < insn.u("nodes"); ++n)
      for (unsigned g = 0; g < insn.u("gpus"); ++g)
        ctx.run_primitive(make("SIGNAL", {{"counter", pack_address({plane, {n, g}, insn.u("counter")})},
                                          {"op", 1}, {"value", 1}, {"order", 1}}));
  return StepResult::done;
}

}  // namespace

const Semantics combine{
    execute, nullptr,
    "Token rows are BF16, `cols` wide (row bytes R = 2*cols). Reads `entries` routing-table entries at "
    "offset `table` of the executing GPU. **stage=forward** (on a forwarder; entries of kind "
    "reduce_forward): for entry i, `REDUCE dst=staging + i*R, srcs=p<plane>.n<self>.g{mask}, src=y + "
    "row_a*R, cols, rows=1, stype=bf16, dtype=bf16, accumulate=no` (the node's partial sums in ascending GPU "
    "order, rounded once to BF16), then `WRITE dst=p<plane>.n<node>.g<gpu>:gather + row_b*R, src=staging + "
    "i*R, bytes=R` (one IB crossing); finally SIGNAL (add 1, release) `counter` on every GPU of the group, "
    "as DISPATCH does. **stage=final** (on the token's owner; kinds pull and partial; a token's entries in "
    "order, first flagged first and last flagged last, possibly spread over several stage=final descriptors "
    "that share `scratch`, e.g. its own node's rows before a WAIT and the gathered node sums after it): `REDUCE dst=scratch + row_b*4*cols, "
    "srcs=p<plane>.n<node>.g{mask}, src=base + row_a*R, stype=bf16, dtype=fp32, accumulate=(not first)` "
    "with base y for pull and gather for partial, so the FP32 sum runs over the entries in table order and "
    "over each entry's GPUs in ascending order without intermediate rounding; on the last entry, `REDUCE "
    "dst=out + row_b*R` of the scratch row to BF16 (one rounding, nearest even). Entries of the other stage, "
    "or malformed ones, are errors naming the entry."};

}  // namespace hwlab::isa::insns

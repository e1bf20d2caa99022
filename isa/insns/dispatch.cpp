// DISPATCH: EP dispatch as one descriptor. The co-processor walks a routing table and issues the
// primitives an SM-based all-to-all would (DeepEP's normal kernels), then tells every GPU of the group
// that it is done, so that a WAIT on the arrival counter is the whole receive side.
#include <fmt/format.h>

#include "isa/exec_context.h"
#include "isa/insns/insns.h"
#include "isa/routing_table.h"

namespace hwlab::isa::insns {
namespace {

StepResult execute(ExecContext& ctx, const Instruction& insn) {
  const uint64_t entries = insn.u("entries"), bytes = insn.u("bytes");
  const auto plane = static_cast<unsigned>(insn.u("plane"));
  const std::vector<uint8_t> table = ctx.load(ctx.self(), insn.u("table"), entries * kRoutingEntryBytes);
  for (uint64_t i = 0; i < entries; ++i) {
    RoutingEntry e;
    const std::string why = decode_entry(table.data() + i * kRoutingEntryBytes, e);
    if (!why.empty()) ctx.fail(fmt::format("routing table entry {}: {}", i, why));
    const uint64_t dsts = pack_destination_set({plane, e.node, e.mask});
    const uint64_t src = insn.u("src") + e.row_a * bytes, dst = insn.u("dst") + e.row_b * bytes;
    if (e.kind == EntryKind::multicast) {
      ctx.run_primitive(make("MULTICAST", {{"dsts", dsts}, {"dst", dst}, {"src", src}, {"bytes", bytes}}));
    } else if (e.kind == EntryKind::forward) {
      ctx.run_primitive(
          make("FORWARD", {{"dsts", dsts}, {"via", e.gpu}, {"dst", dst}, {"src", src}, {"bytes", bytes}}));
    } else {
      ctx.fail(fmt::format("routing table entry {}: kind {} is not multicast or forward", i, entry_kind_name(e.kind)));
    }
  }
  for (unsigned n = 0; n < insn.u("nodes"); ++n)
    for (unsigned g = 0; g < insn.u("gpus"); ++g)
      ctx.run_primitive(make("SIGNAL", {{"counter", pack_address({plane, {n, g}, insn.u("counter")})},
                                        {"op", 1}, {"value", 1}, {"order", 1}}));
  return StepResult::done;
}

}  // namespace

const Semantics dispatch{
    execute, nullptr,
    "Reads `entries` routing-table entries (16 bytes each, layout in the routing table section) at offset "
    "`table` of the executing GPU and, for entry i in order, issues: kind multicast: `MULTICAST "
    "dsts=p<plane>.n<node>.g{mask}, dst=dst + row_b*bytes, src=src + row_a*bytes, bytes=bytes`; kind "
    "forward: `FORWARD` with the same operands and `via=gpu`. Then, for every GPU of the group in ascending "
    "(node, GPU) order, `SIGNAL counter=p<plane>.n<node>.g<gpu>:counter, op=add, value=1, order=release`. "
    "A receiver that WAITs (acquire) for its counter to reach the number of senders has every token. Any "
    "other entry kind, or a malformed entry, is an error naming the entry. The primitives are checked and "
    "counted as if they were in the queue."};

}  // namespace hwlab::isa::insns

#!/usr/bin/env bash
# `hwlab isa asm|disasm|run|doc|moe`: the examples assemble, disassemble to a fixed point and run;
# bad input exits 2 naming file:line:column (or the descriptor) and leaves no output file behind.
set -u
hwlab=$1
src=$2
OUTPUTS="out.bin out.s"
source "$(dirname "$0")/lib.sh"
ex=$src/isa/examples

# --- asm -> bin -> disasm -> asm is a fixed point -------------------------------------------------
for f in "$ex"/*.s; do
  "$hwlab" isa asm "$f" -o a.bin || fail "asm $f"
  [ $(( $(stat -c %s a.bin) % 64 )) -eq 0 ] || fail "asm $f: not whole descriptors"
  "$hwlab" isa disasm a.bin -o a.s || fail "disasm $f"
  "$hwlab" isa asm a.s -o b.bin || fail "re-asm $f"
  cmp -s a.bin b.bin || fail "$f: asm(disasm(bin)) differs from bin"
  "$hwlab" isa disasm b.bin > b.s || fail "disasm to stdout $f"
  cmp -s a.s b.s || fail "$f: disasm is not a fixed point"
done

# --- run: counters and dumps --------------------------------------------------------------------
out=$("$hwlab" isa run "$ex/write.s" --memory "$ex/write.yaml" --dump n1.g0:0x2000:8:bf16 --dump n1.g0:0x0:8:u64) ||
  fail "run write.s exited $?"
grep -Eq '^WRITE +1 +0 +0 +32$' <<<"$out" || fail "WRITE counters: $out"
grep -Eq '^READ +1 +32 +0 +0$' <<<"$out" || fail "READ counters: $out"
grep -Eq '^SIGNAL +1 +0 +0 +8$' <<<"$out" || fail "SIGNAL counters: $out"
grep -q 'ib bytes by plane: p0=40' <<<"$out" || fail "plane counters: $out"
grep -q '0x00002000: 1 2 3 4' <<<"$out" || fail "dump: $out"
grep -q '0x00000000: 1$' <<<"$out" || fail "counter dump: $out"
"$hwlab" isa asm "$ex/write.s" -o w.bin || fail "asm write.s"
cmp -s <("$hwlab" isa run w.bin --memory "$ex/write.yaml") <("$hwlab" isa run "$ex/write.s" --memory "$ex/write.yaml") ||
  fail "running the binary differs from running the source"
out=$("$hwlab" isa run "$ex/multicast.s" --memory "$ex/multicast.yaml" --dump n1.g2:0x4000:4) || fail "multicast.s"
grep -Eq '^FORWARD +1 +0 +132 +132$' <<<"$out" || fail "FORWARD counters: $out"
grep -Eq '^MULTICAST +1 +0 +396 +0$' <<<"$out" || fail "MULTICAST counters: $out"

# --- bad input: exit 2, the place, no output ----------------------------------------------------
printf 'QUEUE n0.g0, 0\n  WRITE dst=n1.g0:0x10, src=0, bytez=4\n' > bad.s
expect_error "asm error" "bad.s:2:32: WRITE has no operand 'bytez' (did you mean 'bytes'?)" -- \
  "$hwlab" isa asm bad.s -o out.bin
printf 'WRITE dst=n1.g0:0x10, src=0, bytes=4\n' > ok.s
expect_error "missing file" "cannot open" -- "$hwlab" isa asm missing.s -o out.bin
"$hwlab" isa asm ok.s -o ok.bin || fail "asm ok.s"
head -c 40 ok.bin > short.bin
expect_error "short binary" "short.bin: 40 bytes is not a whole number of 64-byte descriptors" -- \
  "$hwlab" isa disasm short.bin -o out.s
{ head -c 1 ok.bin; printf '\x21'; tail -c 62 ok.bin; } > badver.bin
expect_error "reserved bit" "badver.bin: descriptor 0 (byte offset 0): WRITE: reserved bit 13 is set" -- \
  "$hwlab" isa disasm badver.bin -o out.s
expect_error "window" "ok.s:1:1: queue n0.g0.q0: WRITE dst=p0.n1.g0:0x10, src=0x0, bytes=4: reads n0.g0:[0x0, 0x4) outside" -- \
  "$hwlab" isa run ok.s
printf 'windows:\n  - {queue: n0.g0.q0, at: n0.g0:0, bytes: 16, acess: r}\n' > bad.yaml
expect_error "bad yaml" "bad.yaml:2:47: windows[0]: unknown key 'acess' (did you mean 'access'?)" -- \
  "$hwlab" isa run ok.s --memory bad.yaml
printf 'windows:\n  - {queue: n0.g0.q0, at: n0.g0:0, bytes: 16, access: rw}\n' > own.yaml
printf 'SIGNAL n0.g0:8, add, 1, release\nWAIT counter=8, cond=ge, value=2, order=acquire\n' > stuck.s
expect_error "deadlock" "stuck.s:2:1: deadlock: no queue can make progress: queue n0.g0.q0 blocked at WAIT" -- \
  "$hwlab" isa run stuck.s --memory own.yaml
expect_error "bad dump" "expected GPU:OFFSET:BYTES[:TYPE]" -- \
  "$hwlab" isa run ok.s --memory "$ex/write.yaml" --dump n0.g0
expect_error "bad mnemonic on the command line" "unknown mnemonic" -- \
  "$hwlab" isa run <(printf 'WRIT x\n')

# --- doc and moe ------------------------------------------------------------------------------
"$hwlab" isa doc | grep -q '^# hwlab co-processor ISA reference' || fail "isa doc"
cmp -s <("$hwlab" isa doc) "$src/papers/isa/reference.md" || fail "isa doc differs from papers/isa/reference.md"
"$hwlab" isa doc --sv | grep -q '^package hwlab_isa_pkg;' || fail "isa doc --sv"
"$hwlab" isa moe dsv3-prefill --set workload.model.hidden_size=64 --set workload.deployment.tokens_per_gpu=2 -o moe ||
  fail "isa moe"
out=$("$hwlab" isa run moe.s --memory moe.yaml) || fail "running the generated MoE program: $out"
grep -Eq '^DISPATCH +32 ' <<<"$out" || fail "DISPATCH count: $out"
grep -Eq '^COMBINE +96 ' <<<"$out" || fail "COMBINE count (forward, own node, gathered per GPU): $out"
expect_error "moe bad layer" "--layer 58: expected an MoE layer in [0, 58)" -- "$hwlab" isa moe --layer 58 -o out
exit 0

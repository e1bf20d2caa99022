#!/usr/bin/env bash
# `hwlab fp8 gemm-check` and `hwlab fp8 study` from the command line: real H100 probe data match,
# a wrong hypothesis is reported, bad dumps and arguments exit 2 naming the file and offset, the
# study writes a valid result file.
set -u
hwlab=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
data=$src/tests/data/fp8/h100-probes-k32.bin

"$hwlab" fp8 gemm-check "$data" > out.txt || fail "gemm-check exit $?"
grep -q "# 3 configuration(s) checked, 0 with mismatches" out.txt || fail "gemm-check: $(cat out.txt)"
grep -q "wgmma/e4m3/codes/k32/c .* h100-fp8 nc=never .* 4096 / 4096" out.txt || fail "wgmma line: $(cat out.txt)"

# A wrong hypothesis: C added after the products instead of aligned with them.
"$hwlab" fp8 gemm-check "$data" --model h100-fp8,c=after --mismatches 1 > out.txt || fail "sweep exit $?"
grep -q "MISMATCH" out.txt || fail "c=after should mismatch: $(cat out.txt)"
grep -q "^#     ([0-9]*, [0-9]*): gpu [0-9a-f]\{8\}" out.txt || fail "no mismatch listed: $(cat out.txt)"

# JSON in the result schema needs the device.
"$hwlab" fp8 gemm-check "$data" --json r.json 2> err.txt && fail "--json without --device accepted"
grep -q "needs --device" err.txt || fail "json message: $(cat err.txt)"
"$hwlab" fp8 gemm-check "$data" --json r.json --device "NVIDIA H100 80GB HBM3" --driver 580.159.04 > /dev/null \
  || fail "json exit $?"
grep -q '"source": "measured"' r.json && grep -q '"matches": 4096' r.json || fail "json: $(head -c 600 r.json)"

# Bad dumps: truncated, wrong magic, missing.
head -c 1000 "$data" > short.bin
"$hwlab" fp8 gemm-check short.bin > /dev/null 2> err.txt
[ $? -eq 2 ] || fail "truncated: exit not 2"
grep -q "short.bin: offset 544: record 'mma.sync/e4m3/codes/k32/c' A (64 x 32 codes) needs 2048 bytes, 456 remain" err.txt \
  || fail "truncated message: $(cat err.txt)"
printf 'NOTADUMP%.0s' 1 2 3 4 5 > bad.bin
"$hwlab" fp8 gemm-check bad.bin > /dev/null 2> err.txt
[ $? -eq 2 ] && grep -q "bad.bin: offset 0: not an FP8 probe dump" err.txt || fail "magic: $(cat err.txt)"
"$hwlab" fp8 gemm-check missing.bin > /dev/null 2> err.txt
[ $? -eq 2 ] || fail "missing file: exit not 2"
"$hwlab" fp8 gemm-check "$data" --model h100-fp8,G=2 > /dev/null 2> err.txt
[ $? -eq 2 ] && grep -q "unknown modifier 'G=2'" err.txt || fail "modifier: $(cat err.txt)"

# Study smoke: tiny K set, JSON in the result schema (source emulated).
"$hwlab" fp8 study --k 256,1024 --m 4 --n 4 --presets "h100-fp8;fp32-acc" --promotion 0,128 \
  --inputs normal,activation --json s.json > study.txt || fail "study exit $?"
grep -q "^h100-fp8     nc128" study.txt || fail "study table: $(cat study.txt)"
grep -q '"source": "emulated"' s.json && grep -q '"normwise_rel_err"' s.json || fail "study json"
"$hwlab" fp8 study --k 256 --promotion 48 > /dev/null 2> err.txt
[ $? -eq 2 ] && grep -q "not a multiple of h100-fp8's 32 products per block" err.txt || fail "study nc: $(cat err.txt)"
"$hwlab" fp8 study --k 256 --inputs gaussian > /dev/null 2> err.txt
[ $? -eq 2 ] && grep -q "unknown input 'gaussian'" err.txt || fail "study input: $(cat err.txt)"
exit 0

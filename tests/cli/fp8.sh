#!/usr/bin/env bash
# `hwlab fp8 dot|gemm`: correct results on small cases; bad inputs exit 2 naming file:line:column
# (or the byte offset) and leave no output file behind.
set -u
hwlab=$1
OUTPUTS="out.txt out.bin"
source "$(dirname "$0")/lib.sh"

# A vector of 32 hex words: the arguments, then zeros.
vec() {
  local words=("$@")
  while [ ${#words[@]} -lt 32 ]; do words+=(00000000); done
  echo "${words[*]}"
}

# --- dot: three blocks -------------------------------------------------------------------------
# 1*2 + 1 = 3; 16*16 + 0.125*0.125 (2^-6 is below h100-fp8's 13 bits at 256); -2*0.5 + (-1) = -2.
{ vec 3f800000; vec 41800000 3e000000; vec c0000000; } > a.txt
{ vec 40000000; vec 41800000 3e000000; vec 3f000000; } > b.txt
printf '3f800000\n00000000\nbf800000\n' > c.txt
"$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a a.txt --b b.txt --c c.txt --out out.txt \
  || fail "dot h100-fp8"
[ "$(cat out.txt)" = "$(printf '40400000\n43800000\nc0000000')" ] || fail "dot h100-fp8: $(cat out.txt)"
"$hwlab" fp8 dot --model exact --format e5m2 --a a.txt --b b.txt --c c.txt --out out.txt \
  || fail "dot exact"
[ "$(cat out.txt)" = "$(printf '40400000\n43800200\nc0000000')" ] || fail "dot exact: $(cat out.txt)"
"$hwlab" fp8 dot --model acc-14 --format e4m3 --a a.txt --b b.txt --out out.txt || fail "dot without C"
[ "$(sed -n 2p out.txt)" = "43800200" ] || fail "dot acc-14: $(cat out.txt)"

# --- dot: bad inputs ---------------------------------------------------------------------------
{ vec 3f800000 00000000 3f80zz00; } > bad_hex.txt
expect_error "bad hex" "bad_hex.txt:1:19: expected a hexadecimal FP32 word" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a bad_hex.txt --b a.txt --out out.txt
{ vec 3f800000; vec 00000000 00000000 00000000 00000000 3f800001; } > inexact.txt
expect_error "not representable" "inexact.txt:2:37: 3f800001 (1.00000012) is not exactly representable in e4m3" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a a.txt --b inexact.txt --out out.txt
{ vec 7f800000; } > inf.txt
expect_error "e4m3 has no infinity" "inf.txt:1:1:" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a inf.txt --b inf.txt --out out.txt
"$hwlab" fp8 dot --model h100-fp8 --format e5m2 --a inf.txt --b inf.txt --out out.txt || fail "e5m2 inf"
[ "$(cat out.txt)" = "7f800000" ] || fail "e5m2 inf: $(cat out.txt)"
vec 3f800000 | cut -d' ' -f1-31 > short.txt
expect_error "31 words" "short.txt:1: expected 32 hexadecimal FP32 words, found 31" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a short.txt --b short.txt --out out.txt
head -2 b.txt > b2.txt
expect_error "line counts" "line counts differ" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a a.txt --b b2.txt --out out.txt
expect_error "C line count" "line counts differ" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e4m3 --a b2.txt --b b2.txt --c c.txt --out out.txt
expect_error "unknown model" "nearest: h100-fp8" -- \
  "$hwlab" fp8 dot --model h100-fp9 --format e4m3 --a a.txt --b b.txt --out out.txt
expect_error "bad format" "e4m3" -- \
  "$hwlab" fp8 dot --model h100-fp8 --format e3m4 --a a.txt --b b.txt --out out.txt

# --- gemm: M=1, N=2, K=32 ----------------------------------------------------------------------
printf '\x38%.0s' $(seq 32) > a.bin                                 # 1.0
{ printf '\x38%.0s' $(seq 32); printf '\x40%.0s' $(seq 32); } > b.bin  # rows 1.0 and 2.0
"$hwlab" fp8 gemm --model h100-fp8 --format e4m3 --m 1 --n 2 --k 32 --promotion 128 \
  --a a.bin --b b.bin --out out.bin || fail "gemm"
[ "$(od -An -tx1 out.bin | tr -d ' \n')" = "0000004200008042" ] || fail "gemm: $(od -An -tx1 out.bin)"

head -c 31 a.bin > short.bin
expect_error "gemm size" "short.bin: expected 32 bytes, found 31" -- \
  "$hwlab" fp8 gemm --model h100-fp8 --format e4m3 --m 1 --n 2 --k 32 --promotion 128 \
  --a short.bin --b b.bin --out out.bin
{ head -c 5 a.bin; printf '\x7f'; head -c 26 a.bin; } > nan.bin
expect_error "gemm NaN" "nan.bin: byte offset 5: 0x7f is a NaN in e4m3" -- \
  "$hwlab" fp8 gemm --model h100-fp8 --format e4m3 --m 1 --n 2 --k 32 --promotion 128 \
  --a nan.bin --b b.bin --out out.bin
expect_error "gemm interval" "multiple of the model's 32 products per block" -- \
  "$hwlab" fp8 gemm --model h100-fp8 --format e4m3 --m 1 --n 2 --k 32 --promotion 48 \
  --a a.bin --b b.bin --out out.bin
expect_error "gemm shape" "at least 1" -- \
  "$hwlab" fp8 gemm --model h100-fp8 --format e4m3 --m 0 --n 2 --k 32 --promotion 128 \
  --a a.bin --b b.bin --out out.bin
exit 0

#!/usr/bin/env bash
# GPU: run the mma/wgmma probes on this machine's GPU and check them bit for bit against the models.
# Without a GPU the probe prints "SKIPPED: no CUDA device" and exits 77 (CTest: skipped).
set -u
hwlab=$1
probe=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$probe" "$tmp" mma wgmma
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL: fp8_probe exit $rc"; exit 1; }
"$hwlab" fp8 gemm-check "$tmp/mma.bin" "$tmp/wgmma.bin" > "$tmp/out.txt" || { echo "FAIL: gemm-check"; exit 1; }
tail -1 "$tmp/out.txt"
grep -q " 0 with mismatches" "$tmp/out.txt" || { grep MISMATCH "$tmp/out.txt"; exit 1; }

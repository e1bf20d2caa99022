#!/usr/bin/env bash
# `hwlab emulate`: a small run writes a valid result (and trace) and prints the table; the same
# inputs give byte-identical results; --functional checks real bytes; bad input exits 2 with the
# reason and leaves no output file behind.
set -u
hwlab=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
small=(--platform h800 --workload dsv3-prefill --set workload.deployment.tokens_per_gpu=64 --layers 1)

# expect_error NAME PATTERN -- command...: exit 2, PATTERN in stderr, no output left behind.
expect_error() {
  local name=$1 pattern=$2
  shift 3
  rm -f out.json trace.json
  "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2 ($(cat stderr.txt))"
  grep -qF -- "$pattern" stderr.txt || fail "$name: stderr lacks '$pattern': $(cat stderr.txt)"
  [ ! -e out.json ] && [ ! -e trace.json ] || fail "$name: an output file was left"
  ! ls -a | grep -q '\.tmp' || fail "$name: a temporary file was left"
}

"$hwlab" emulate "${small[@]}" --out a.json --trace trace.json >table.txt || fail "small run"
grep -q '"schema": "hwlab.result/1"' a.json || fail "result lacks the schema"
grep -q '"traceEvents"' trace.json || fail "trace is not a Perfetto JSON trace"
grep -q 'dispatch' table.txt || fail "no table on stdout"
"$hwlab" emulate "${small[@]}" --out b.json --quiet || fail "second run"
python3 - a.json b.json <<'PY' || fail "same inputs, different results"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("run", None)  # run metadata (command line, host) is outside the compared part
sys.exit(0 if a == b else 1)
PY
cmp -s <(grep -v '"command"' a.json) <(grep -v '"command"' b.json) || fail "results not byte-identical"

"$hwlab" emulate "${small[@]}" --proposal coprocessor --functional --set workload.model.hidden_size=128 \
  --out f.json --quiet || fail "functional run"
python3 - f.json <<'PY' || fail "functional metrics"
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
assert m["functional_phases"] == 2, m["functional_phases"]
assert m["functional_wrong_copies"] == 0 and m["functional_wrong_combined_elements"] == 0
assert m["functional_token_copies"] > 0 and m["coproc_program_descriptors"] > 0
PY

expect_error "unknown platform" "platform" -- "$hwlab" emulate --platform h9000 --workload dsv3-prefill --out out.json
expect_error "bad override" "did you mean" -- "$hwlab" emulate "${small[@]}" --set platform.nic.achievable_GBs=1 --out out.json
expect_error "bad value" "achievable_GBps" -- "$hwlab" emulate "${small[@]}" --set platform.nic.achievable_GBps=-3 --out out.json --trace trace.json
expect_error "functional at full size" "hidden_size 7168 is above 1024" -- "$hwlab" emulate --platform h800 --workload dsv3-prefill --layers 1 --functional --out out.json
expect_error "watchdog" "stopped by the watchdog" -- "$hwlab" emulate "${small[@]}" --set platform.emulation.watchdog_ms=0.01 --out out.json --trace trace.json
expect_error "bad layers" "layers" -- "$hwlab" emulate "${small[@]}" --layers 99 --out out.json
echo "cli:emulate passed"

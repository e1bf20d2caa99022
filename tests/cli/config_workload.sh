#!/usr/bin/env bash
# `hwlab config show`, `hwlab workload traffic` and `hwlab workload routing`: presets resolve,
# overrides apply, bad input exits 2 with file:line:column, a failed --out leaves no file, the
# analysis is deterministic, and an exported routing trace reads back.
set -u
hwlab=$1
src=$2
source "$(dirname "$0")/lib.sh"

out=$("$hwlab" config show h800 dsv3-prefill coprocessor --set platform.nic.achievable_GBps=35) ||
  fail "config show of the presets exited $?"
grep -q '^  achievable_GBps: 35.0 ' <<<"$out" || fail "--set not applied: $out"
grep -q '^  sm_count: 132 ' <<<"$out" || fail "sm_count missing: $out"
"$hwlab" config show h800 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["platform"]["gpu"]["sm_count"] == 132' ||
  fail "config show --json is not the expected JSON"

# The printed YAML of a config reads back as the same config.
"$hwlab" config show dsv3-decode | sed -n '/^kind: workload/,$p' >"$tmp/printed.yaml"
diff <("$hwlab" config show dsv3-decode --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["workload"]; d.pop("name"); print(json.dumps(d, sort_keys=True))') \
     <("$hwlab" config show "$tmp/printed.yaml" --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["workload"]; d.pop("name"); print(json.dumps(d, sort_keys=True))') ||
  fail "config show output does not read back to the same workload"

expect_user_error() {
  local what=$1 pattern=$2
  shift 2
  local err rc
  err=$("$hwlab" "$@" 2>&1 >/dev/null)
  rc=$?
  [ $rc -eq 2 ] || fail "$what: exited $rc, expected 2 ($err)"
  grep -qF -- "$pattern" <<<"$err" || fail "$what: message lacks '$pattern': $err"
}
sed 's/  sm_count: 132/  sm_count: many/' "$src/configs/platforms/h800.yaml" >"$tmp/bad.yaml"
expect_user_error "bad value" "bad.yaml:8:13: platform.gpu.sm_count: expected an integer >= 1, found \"many\"" \
  config show "$tmp/bad.yaml"
expect_user_error "unknown preset" "no preset named 'dsv3-prefil' (did you mean 'dsv3-prefill'?)" config show dsv3-prefil
expect_user_error "bad --set path" "unknown key 'tokens_per_gpus' (did you mean 'tokens_per_gpu'?)" \
  workload traffic dsv3-prefill --set workload.deployment.tokens_per_gpus=5
expect_user_error "layer out of range" "--layer 58: expected an MoE layer in [0, 58)" workload traffic --layer 58
expect_user_error "missing trace" "cannot open" workload traffic --set workload.routing.popularity=trace \
  --set workload.routing.trace_file=/nonexistent/topk.npy

# A failed run leaves no output file; a good one writes it whole.
expect_user_error "no partial output" "expected an integer" workload traffic --set workload.routing.seed=x --out "$tmp/t.json"
[ ! -e "$tmp/t.json" ] || fail "a failed run left $tmp/t.json"
[ -z "$(ls "$tmp" | grep '\.tmp\.')" ] || fail "a temporary file was left behind"

# Same seed, byte-identical JSON; another seed, another result.
args=(workload traffic dsv3-decode --json --set workload.deployment.tokens_per_gpu=32)
"$hwlab" "${args[@]}" --out "$tmp/a.json" || fail "traffic --out exited $?"
"$hwlab" "${args[@]}" --out "$tmp/b.json" || fail "traffic --out exited $?"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "same seed gave different JSON"
"$hwlab" "${args[@]}" --set workload.routing.seed=2 --out "$tmp/c.json" || fail "traffic exited $?"
cmp -s "$tmp/a.json" "$tmp/c.json" && fail "another seed gave the same JSON"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "hwlab.traffic/1"
pairs = sum(d["per_gpu"]["expert_computations"])
assert pairs == 320 * 32 * 2 * 9, pairs  # GPUs x tokens x micro-batches x (8 routed + 1 shared)
' "$tmp/a.json" || fail "traffic JSON content"

# `workload routing`: one micro-batch as a trace; .npy and .csv hold the same rows (the traffic they
# give as a trace is the same), GPU-major, and bad input writes nothing.
small=(--set workload.deployment.tokens_per_gpu=16)
"$hwlab" workload routing dsv3-decode --layer 2 --micro-batch 1 "${small[@]}" --out "$tmp/r.npy" >"$tmp/r.txt" ||
  fail "workload routing exited $?"
grep -qF "layer 2, micro-batch 1: 320 GPUs x 16 tokens = 5120 tokens, top-8 of 256 experts" "$tmp/r.txt" ||
  fail "workload routing summary: $(cat "$tmp/r.txt")"
"$hwlab" workload routing dsv3-decode --layer 2 --micro-batch 1 "${small[@]}" --out "$tmp/r.csv" >/dev/null ||
  fail "workload routing .csv exited $?"
[ "$(grep -vc '^#' "$tmp/r.csv")" -eq 5120 ] || fail "the csv trace has $(grep -vc '^#' "$tmp/r.csv") rows, expected 5120"
for f in r.npy r.csv; do
  "$hwlab" workload traffic dsv3-decode --json "${small[@]}" --set workload.routing.popularity=trace \
    --set workload.routing.trace_file="$tmp/$f" --out "$tmp/traffic-$f.json" || fail "traffic from the $f trace exited $?"
done
diff <(grep -v '"trace_file"' "$tmp/traffic-r.npy.json") <(grep -v '"trace_file"' "$tmp/traffic-r.csv.json") >/dev/null ||
  fail "the npy and csv traces give different traffic"
expect_user_error "trace extension" "expected a routing trace file ending in .npy or .csv, found '.txt'" \
  workload routing dsv3-decode --out "$tmp/r.txt2.txt"
[ ! -e "$tmp/r.txt2.txt" ] || fail "a refused export left a file"
expect_user_error "routing layer" "--layer 58: expected an MoE layer in [0, 58)" workload routing dsv3-decode --layer 58 --out "$tmp/x.csv"
expect_user_error "routing micro-batch" "--micro-batch 2: expected a micro-batch in [0, 2)" \
  workload routing dsv3-decode --micro-batch 2 --out "$tmp/x.csv"
[ ! -e "$tmp/x.csv" ] || fail "a refused export left a file"
exit 0

#!/usr/bin/env bash
# `hwlab config show` and `hwlab workload traffic`: presets resolve, overrides apply, bad input
# exits 2 with file:line:column, a failed --out leaves no file, and the analysis is deterministic.
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
exit 0

#!/usr/bin/env bash
# `hwlab sweep`: a tiny sweep writes one result per point, summary.json and a table; the same sweep
# gives the same bytes whatever --jobs; bad --vary values exit 2 before anything is written; a point
# that fails is recorded, the others still run, and the sweep exits 1.
set -u
hwlab=$1
source "$(dirname "$0")/lib.sh"

base=(sweep --platform h800 --workload dsv3-prefill --comm-only --set workload.deployment.tokens_per_gpu=64)
args=("${base[@]}" --vary workload.deployment.comm_sms=8,16)

# --- a good sweep ------------------------------------------------------------------------------
"$hwlab" "${args[@]}" --jobs 2 --out-dir "$tmp/run" >"$tmp/table1.txt" 2>"$tmp/err1.txt" ||
  fail "sweep exited $?: $(cat "$tmp/err1.txt")"
[ "$(ls "$tmp/run" | tr '\n' ' ')" = "point-000.json point-001.json summary.json " ] ||
  fail "expected two point files and the summary, found: $(ls "$tmp/run")"
python3 - "$tmp/run" <<'EOF' || fail "summary or point files are not as expected"
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
assert s["schema"] == "hwlab.sweep/1", s["schema"]
assert s["failed"] == 0 and s["zip"] is False, s
assert s["axes"] == [{"key": "workload.deployment.comm_sms", "values": ["8", "16"]}], s["axes"]
assert s["metrics"] == ["layer_us", "dispatch_us", "combine_us", "gemm_us", "tokens_per_s", "comm_sms"]
for i, sms in enumerate([8, 16]):
    p = s["points"][i]
    assert p["index"] == i and p["file"] == f"point-00{i}.json" and p["status"] == "ok", p
    assert p["overrides"] == {"workload.deployment.comm_sms": str(sms)}, p
    r = json.load(open(f"{d}/{p['file']}"))
    assert r["schema"] == "hwlab.result/1" and r["source"] == "emulated", r["schema"]
    assert r["workload"]["deployment"]["comm_sms"] == sms, r["workload"]["deployment"]
    assert r["workload"]["deployment"]["tokens_per_gpu"] == 64
    assert r["run"]["options"]["comm_only"] is True
    for name, value in p["metrics"].items():
        assert r["metrics"][name] == value, (name, value, r["metrics"][name])
    assert p["metrics"]["comm_sms"] == sms and p["metrics"]["dispatch_us"] > 0, p["metrics"]
# Fewer SMs for communication cannot make the dispatch faster.
assert s["points"][0]["metrics"]["dispatch_us"] >= s["points"][1]["metrics"]["dispatch_us"]
EOF
grep -q '^# point  deployment.comm_sms  status  layer_us  dispatch_us  combine_us  gemm_us  tokens_per_s  comm_sms$' \
  "$tmp/table1.txt" || fail "table header: $(cat "$tmp/table1.txt")"
grep -Eq '^ +000 +8 +ok( +[0-9.]+){5} +8$' "$tmp/table1.txt" || fail "row 000: $(cat "$tmp/table1.txt")"
grep -Eq '^ +001 +16 +ok( +[0-9.]+){5} +16$' "$tmp/table1.txt" || fail "row 001: $(cat "$tmp/table1.txt")"
# stderr is not a terminal here: one line per finished point.
[ "$(grep -c '^hwlab sweep: point-00[01] (workload.deployment.comm_sms=[0-9]*) ok; ' "$tmp/err1.txt")" -eq 2 ] ||
  fail "progress lines: $(cat "$tmp/err1.txt")"

# --- determinism: the same sweep again, one point at a time, gives the same bytes --------------
mv "$tmp/run" "$tmp/first"
"$hwlab" "${args[@]}" --jobs 1 --out-dir "$tmp/run" >"$tmp/table2.txt" 2>/dev/null || fail "second sweep exited $?"
diff -r "$tmp/first" "$tmp/run" >/dev/null || fail "the same sweep gave different files: $(diff -r "$tmp/first" "$tmp/run" | head)"
cmp -s "$tmp/table1.txt" "$tmp/table2.txt" || fail "the same sweep printed a different table"

# --- errors found before starting: exit 2, nothing written -------------------------------------
expect_user_error() {
  local what=$1 pattern=$2
  shift 2
  local err rc
  err=$("$hwlab" "$@" --out-dir "$tmp/bad" 2>&1 >/dev/null)
  rc=$?
  [ $rc -eq 2 ] || fail "$what: exited $rc, expected 2 ($err)"
  grep -qF -- "$pattern" <<<"$err" || fail "$what: message lacks '$pattern': $err"
  [ ! -e "$tmp/bad" ] || fail "$what: $tmp/bad was created"
}
expect_user_error "bad value" "point-001 (workload.deployment.comm_sms=many): " \
  "${base[@]}" --vary workload.deployment.comm_sms=8,many
expect_user_error "bad key" "(did you mean 'comm_sms'?)" "${base[@]}" --vary workload.deployment.comm_smss=8,16
expect_user_error "bad range" "expected A:B:STEP or A:B*FACTOR, found '8:16'" \
  "${base[@]}" --vary workload.deployment.comm_sms=8:16
expect_user_error "zip lengths" "--zip: every axis needs the same number of values" "${base[@]}" --zip \
  --vary workload.deployment.comm_sms=8,16 --vary workload.routing.seed=1:3:1
expect_user_error "axis twice" "this key is varied twice" "${base[@]}" \
  --vary workload.deployment.comm_sms=8 --vary workload.deployment.comm_sms=16
expect_user_error "axis also --set" "also fixed by --set" "${base[@]}" --vary workload.deployment.tokens_per_gpu=32,64

# --- a point that fails when it runs: recorded, the other point still runs, exit 1 -------------
"$hwlab" "${base[@]}" --vary workload.deployment.comm_sms=0,8 --out-dir "$tmp/partly" >"$tmp/table3.txt" 2>/dev/null
rc=$?
[ $rc -eq 1 ] || fail "a sweep with a failed point exited $rc, expected 1"
[ ! -e "$tmp/partly/point-000.json" ] && [ -f "$tmp/partly/point-001.json" ] || fail "files: $(ls "$tmp/partly")"
python3 - "$tmp/partly/summary.json" <<'EOF' || fail "summary of the failed point: $(cat "$tmp/partly/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["failed"] == 1
p = s["points"][0]
assert p["status"] == "failed" and p["exit_code"] == 2, p
assert p["error"].startswith("workload.deployment.comm_sms is 0"), p["error"]
assert s["points"][1]["status"] == "ok"
EOF
grep -Eq '^ +000 +0 +FAILED( +-){6}$' "$tmp/table3.txt" || fail "failed row: $(cat "$tmp/table3.txt")"
grep -q '^# point-000.json failed: workload.deployment.comm_sms is 0' "$tmp/table3.txt" ||
  fail "failure line: $(cat "$tmp/table3.txt")"

# --- Ctrl-C once the first point is written: children stopped, no summary, no partial file ------
"$hwlab" "${base[@]}" --vary workload.deployment.comm_sms=8:100:1 --jobs 1 --out-dir "$tmp/int" \
  >/dev/null 2>"$tmp/err4.txt" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/int/point-000.json" ] && break; sleep 0.2; done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "an interrupted sweep exited $rc, expected 130: $(cat "$tmp/err4.txt")"
grep -q 'no summary written' "$tmp/err4.txt" || fail "no word of the interruption: $(cat "$tmp/err4.txt")"
[ ! -e "$tmp/int/summary.json" ] || fail "an interrupted sweep wrote its summary"
! ls "$tmp/int" | grep -q '\.tmp\.' || fail "a temporary file was left: $(ls "$tmp/int")"
procs=$(ps -eo args)
! grep -qF -- "--out $tmp/int/" <<<"$procs" || fail "a point's process outlived the sweep"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["schema"] == "hwlab.result/1"' \
  "$tmp/int/point-000.json" || fail "a point file written before the interruption is not whole"
exit 0

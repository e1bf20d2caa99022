#!/usr/bin/env bash
# `hwlab eplb` reproduces the deepseek-ai/EPLB README example, prints valid JSON with --json, and
# reports bad input with exit status 2 and a message that says what was expected.
set -u
hwlab=$1
source "$(dirname "$0")/lib.sh"

cat >"$tmp/load.json" <<'EOF'
[[ 90, 132,  40,  61, 104, 165,  39,   4,  73,  56, 183,  86],
 [ 20, 107, 104,  64,  19, 197, 187, 157, 172,  86,  16,  27]]
EOF
args=(--load "$tmp/load.json" --replicas 16 --groups 4 --nodes 2 --gpus 8)

out=$("$hwlab" eplb "${args[@]}") || fail "eplb on the README example exited $?"
grep -qx 'policy: hierarchical' <<<"$out" || fail "no 'policy: hierarchical' line in: $out"
grep -qx '  layer 0: 5 6 5 7 8 4 3 4 10 9 10 2 0 1 11 1' <<<"$out" || fail "layer 0 phy2log differs: $out"
grep -qx '  layer 1: 7 10 6 8 6 11 8 9 2 4 5 1 5 0 3 1' <<<"$out" || fail "layer 1 phy2log differs: $out"
grep -qx '  layer 0: expert 4: 7 5' <<<"$out" || fail "layer 0 expert 4 log2phy differs: $out"

json=$("$hwlab" eplb "${args[@]}" --json) || fail "eplb --json exited $?"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["policy"] == "hierarchical", d["policy"]
assert d["phy2log"][1] == [7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1], d["phy2log"]
assert d["log2phy"][0][1] == [15, 13] and d["log2phy"][0][0] == [12, -1], d["log2phy"]
assert [sum(c) for c in d["logcnt"]] == [16, 16], d["logcnt"]
' "$json" || fail "--json output is not the expected JSON: $json"

# expect_user_error WHAT PATTERN ARGS...: exit status 2 and PATTERN in the message.
expect_user_error() {
  local what=$1 pattern=$2
  shift 2
  local err rc
  err=$("$hwlab" eplb "$@" 2>&1 >/dev/null)
  rc=$?
  [ $rc -eq 2 ] || fail "$what: exited $rc, expected 2 ($err)"
  grep -q -- "$pattern" <<<"$err" || fail "$what: message lacks '$pattern': $err"
}

expect_user_error "missing file" "cannot open '$tmp/missing.json'" \
  --load "$tmp/missing.json" --replicas 16 --groups 4 --nodes 2 --gpus 8
echo '[[1, 2, 3, 4], [5, 6, 7]]' >"$tmp/ragged.json"
expect_user_error "ragged loads" "ragged.json: layer 1: expected 4 expert loads like layer 0, got 3" \
  --load "$tmp/ragged.json" --replicas 4 --groups 1 --nodes 1 --gpus 1
expect_user_error "replicas not a multiple of gpus" \
  "expected the number of replicas to be a multiple of the number of GPUs (8), got 20 replicas" \
  --load "$tmp/load.json" --replicas 20 --groups 4 --nodes 2 --gpus 8
expect_user_error "missing --gpus" "gpus" --load "$tmp/load.json" --replicas 16 --groups 4 --nodes 2
exit 0

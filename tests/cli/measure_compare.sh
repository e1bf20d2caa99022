#!/usr/bin/env bash
# `hwlab compare` reads result files anywhere and always exits 0 for valid files (2 for bad ones);
# `hwlab measure` without a CUDA device exits 2 saying "no CUDA device" (on a GPU machine it is
# exercised by tools/device/check-and-measure.sh instead).
set -u
hwlab=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
write() {  # file source layer_us extra-metric-json
  cat > "$1" <<JSON
{
  "schema": "hwlab.result/1",
  "source": "$2",
  "tool": { "commit": "abc", "version": "0.1.0" },
  "platform": { "name": "h200" },
  "workload": { "name": "dsv3-prefill" },
  "proposal": null,
  "device": $( [ "$2" = measured ] && echo '{ "count": 2, "driver": "580", "extra": {}, "name": "NVIDIA H200" }' || echo null ),
  "metrics": { "layer_us": $3, "comm_sms": 20$4 },
  "collectives": [ { "algbw_GBps": 100.0, "busbw_GBps": 50.0, "bytes": 1000000, "count": 250000, "op": "dispatch",
                     "redop": "none", "root": -1, "time_us": 10.0, "type": "fp8_e4m3", "wrong": 0 } ],
  "run": {}
}
JSON
}
write "$tmp/m.json" measured 1000 ', "by_comm_sms": { "8": { "dispatch_us": 5 } }'
write "$tmp/e.json" emulated 1100 ''
out=$("$hwlab" compare "$tmp/m.json" "$tmp/e.json") || { echo "compare failed: $out"; exit 1; }
echo "$out" | grep -q "layer_us .*1000.0000 .*1100.0000 .*+10.00%" || { echo "no relative error row: $out"; exit 1; }
echo "$out" | grep -q "by_comm_sms.8.dispatch_us" || { echo "one-sided key not listed: $out"; exit 1; }
echo "$out" | grep -q "missing from some files" || { echo "no missing-key section: $out"; exit 1; }
echo "$out" | grep -q "is folded" && { echo "unfolded measurement called folded: $out"; exit 1; }
write "$tmp/f.json" measured 1000 ', "fold": { "logical_ranks": 32, "physical_gpus": 1, "ranks_per_gpu_max": 32 }'
out=$("$hwlab" compare "$tmp/e.json" "$tmp/f.json") || { echo "compare failed: $out"; exit 1; }
echo "$out" | grep -q "note: \[2\] is folded: 32 logical ranks on 1 GPU(s), up to 32 per GPU" ||
  { echo "no folding note: $out"; exit 1; }
"$hwlab" compare "$tmp/m.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "compare with one file exited $rc, expected 2"; exit 1; }
echo '{"schema": "hwlab.result/9"}' > "$tmp/bad.json"
"$hwlab" compare "$tmp/m.json" "$tmp/bad.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "compare with a bad file exited $rc, expected 2"; exit 1; }

if ! nvidia-smi -L >/dev/null 2>&1; then
  err=$("$hwlab" measure moe --workload dsv3-decode 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || { echo "measure without a GPU exited $rc, expected 2"; exit 1; }
  echo "$err" | grep -q "no CUDA device" || { echo "unexpected message: $err"; exit 1; }
  err=$("$hwlab" measure collective --op alltoall --bytes 1M:4M 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || { echo "measure collective without a GPU exited $rc, expected 2"; exit 1; }
fi
"$hwlab" measure collective --op allreduce >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "bad --op exited $rc, expected 2"; exit 1; }
"$hwlab" measure moe --comm rdma >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "bad --comm exited $rc, expected 2"; exit 1; }
for bad in "--sm-combine pul" "--gemm-scales 1x128"; do
  # shellcheck disable=SC2086  # two words on purpose
  "$hwlab" measure moe $bad >/dev/null 2>&1; rc=$?
  [ $rc -eq 2 ] || { echo "bad $bad exited $rc, expected 2"; exit 1; }
done
exit 0

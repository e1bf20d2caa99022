#!/usr/bin/env bash
# `hwlab emulate`: a small run writes a valid result (and trace) and prints the table; the same
# inputs give byte-identical results; --functional checks real bytes; bad input exits 2 with the
# reason and leaves no output file behind.
set -u
hwlab=$1
OUTPUTS="out.json trace.json"
source "$(dirname "$0")/lib.sh"
small=(--platform h800 --workload dsv3-prefill --set workload.deployment.tokens_per_gpu=64 --layers 1)

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

# The flow-level collective model: same table layout, the bottleneck named, the model in the result.
"$hwlab" emulate collective --platform h800 --op alltoall --gpus 64 --bytes 16M:16M --model flow --out c.json \
  >flow.txt || fail "flow collective"
grep -q 'flow model' flow.txt || fail "flow table not titled"
grep -q '# flow model, 16777216 B: bottleneck gpu0.nic.tx' flow.txt || fail "flow bottleneck not printed: $(cat flow.txt)"
python3 - c.json <<'PY' || fail "flow result"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["workload"]["model"] == "flow", r["workload"]
assert r["run"]["flow_bottlenecks"][0]["resource"] == "gpu0.nic.tx", r["run"]
assert r["collectives"][0]["time_us"] > 0
PY
"$hwlab" emulate collective --platform h800 --op alltoall --gpus 64 --bytes 16M:16M \
  --set platform.emulation.network_model=flow >flow2.txt || fail "flow collective from the platform key"
grep -q '# flow model, 16777216 B: bottleneck gpu0.nic.tx' flow2.txt || fail "network_model=flow not honoured by collective"
# A MoE run on the flow model: the same result schema, the bottlenecks in `run`.
"$hwlab" emulate "${small[@]}" --set platform.emulation.network_model=flow --out m.json --quiet || fail "flow MoE run"
python3 - m.json <<'PY' || fail "flow MoE result"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["platform"]["emulation"]["network_model"] == "flow", r["platform"]["emulation"]
assert r["metrics"]["layer_us"] > 0 and r["metrics"]["wrong_deliveries"] == 0
assert r["run"]["flow_dispatch_bottlenecks"] and r["run"]["flow_combine_bottlenecks"], r["run"]
PY
"$hwlab" emulate collective --platform h800 --op alltoall --gpus 64 --bytes 16M:16M --model packet \
  --set platform.emulation.network_model=flow >packet.txt || fail "packet collective over a flow platform"
"$hwlab" emulate collective --platform h800 --op alltoall --gpus 64 --bytes 16M:16M >packet_plain.txt || fail "packet collective"
cmp -s packet.txt packet_plain.txt || fail "--model packet over a flow platform differs from the packet model"
expect_error "bad network model" "network_model" -- "$hwlab" emulate "${small[@]}" --set platform.emulation.network_model=fluid --out out.json
expect_error "bad model" "--model: expected packet or flow, found 'fluid'" -- "$hwlab" emulate collective --platform h800 --gpus 16 --bytes 1M:1M --model fluid --out out.json
expect_error "flow with faults" "the flow model does not model link faults" -- "$hwlab" emulate collective --platform h800 --gpus 16 --bytes 1M:1M --model flow --set platform.faults.nic_down=[1] --out out.json

expect_error "unknown platform" "platform" -- "$hwlab" emulate --platform h9000 --workload dsv3-prefill --out out.json
expect_error "bad override" "did you mean" -- "$hwlab" emulate "${small[@]}" --set platform.nic.achievable_GBs=1 --out out.json
expect_error "bad value" "achievable_GBps" -- "$hwlab" emulate "${small[@]}" --set platform.nic.achievable_GBps=-3 --out out.json --trace trace.json
expect_error "functional at full size" "hidden_size 7168 is above 1024" -- "$hwlab" emulate --platform h800 --workload dsv3-prefill --layers 1 --functional --out out.json
expect_error "watchdog" "stopped by the watchdog" -- "$hwlab" emulate "${small[@]}" --set platform.emulation.watchdog_ms=0.01 --out out.json --trace trace.json
expect_error "bad layers" "layers" -- "$hwlab" emulate "${small[@]}" --layers 99 --out out.json
echo "cli:emulate passed"

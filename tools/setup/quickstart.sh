#!/usr/bin/env bash
# README command 1: install the dependencies, build the release preset, run the main job:
# DeepSeek-V3 prefill and decode on the h800 platform, the SM-driven communication baseline beside
# the default communication co-processor proposal (configs/proposals/coprocessor.yaml), printed side
# by side by `hwlab compare`. Results land in build/main-job/ (hwlab.result/1 JSON).
#   HWLAB_MAIN_LAYERS=N   MoE layers emulated per run (default 4; 0 = all 58). Per-layer metrics and
#                         tokens/s (scaled to the model's 58 MoE layers) change little with N.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
hwlab=build/release/tools/hwlab/hwlab
layers=${HWLAB_MAIN_LAYERS:-4}
out=build/main-job
mkdir -p "$out"
"$hwlab" version
for workload in dsv3-prefill dsv3-decode; do
  echo
  echo "=== $workload on h800: SM baseline [1] vs co-processor proposal [2] ($layers MoE layers emulated)"
  "$hwlab" emulate --platform h800 --workload "$workload" --layers "$layers" --quiet \
    --out "$out/$workload-sm.json" &
  sm=$!
  "$hwlab" emulate --platform h800 --workload "$workload" --proposal coprocessor --layers "$layers" --quiet \
    --out "$out/$workload-coprocessor.json" &
  coproc=$!
  wait "$sm"
  wait "$coproc"
  "$hwlab" compare "$out/$workload-sm.json" "$out/$workload-coprocessor.json"
done

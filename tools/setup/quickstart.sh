#!/usr/bin/env bash
# README command 1: install the dependencies, build the release preset, run the main job.
# Until the emulator lands, the main job is the DeepSeek-V3 workload analysis: per-GPU IB/NVLink
# bytes of dispatch and combine, expert loads and imbalance, for prefill and decode.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
hwlab=build/release/tools/hwlab/hwlab
"$hwlab" version
for workload in dsv3-prefill dsv3-decode; do
  echo
  echo "=== hwlab workload traffic $workload"
  "$hwlab" workload traffic "$workload"
done

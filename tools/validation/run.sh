#!/usr/bin/env bash
# Reproduces the validation table of papers/validation/README.md: builds `hwlab` (Release, no CUDA)
# in build/validation, runs every row's emulation (JOBS at a time) and prints the table.
#
#   tools/validation/run.sh [--set platform.key=value ...]
#
# Environment: BUILD_DIR (default build/validation), OUT (default $BUILD_DIR/results), JOBS
# (default: the number of cores), HWLAB (an hwlab binary to use instead of building one).
# Extra --set overrides apply to every row (sensitivity studies).
# Run time on 2 cores, after the build: about 2.5 minutes (the training-profile row is the longest).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
build=${BUILD_DIR:-build/validation}
out=${OUT:-$build/results}
jobs=${JOBS:-$(nproc)}

if [[ -z "${HWLAB:-}" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHWLAB_CUDA=OFF >/dev/null
  cmake --build "$build" --target hwlab
  HWLAB=$build/tools/hwlab/hwlab
fi

sets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "usage: $0 [--set platform.key=value ...]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
status=0
python3 tools/validation/validate.py --hwlab "$HWLAB" --out "$out" --jobs "$jobs" "${sets[@]}" || status=$?
echo "validation: $(( $(date +%s) - start )) s of emulation with $jobs jobs; results and table.md in $out"
exit $status

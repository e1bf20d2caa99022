#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset) and runs each on its seed corpus.
#   fuzz.sh smoke          a short run of each (CI): 20 000 inputs
#   fuzz.sh long SECONDS   a long run of each; crashes land in build/fuzz/artifacts/
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-smoke}
seconds=${2:-600}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target fuzz_config fuzz_asm fuzz_decode  # not the rest of the tree
artifacts=build/fuzz/artifacts
mkdir -p "$artifacts"

# Each target: its binary, its seed folders, its dictionary.
run() {
  local name=$1 dict=$2; shift 2
  local corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  local args=(-dict="$dict" -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$artifacts/$name-")
  if [ "$mode" = smoke ]; then args+=(-runs=20000); else args+=(-max_total_time="$seconds"); fi
  echo "fuzz: $name (${mode})"
  "build/fuzz/tests/fuzz/$name" "${args[@]}" "$corpus" "$@" 2>&1 | tail -n 3
}

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
cp configs/*/*.yaml tests/data/configs/bad/*.yaml "$seeds"/
run fuzz_config tests/fuzz/yaml.dict "$seeds"
mkdir -p "$seeds/isa" && cp isa/examples/*.s tests/data/isa/asm/*.s "$seeds/isa"/
run fuzz_asm tests/fuzz/isa_asm.dict "$seeds/isa"
run fuzz_decode tests/fuzz/isa_decode.dict tests/data/isa/bin

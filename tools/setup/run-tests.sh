#!/usr/bin/env bash
# README command 2 (and .ci/run): install the dependencies, build, run the whole test suite.
#  1. release preset: every Catch2 test and CLI test through CTest (GPU tests skip, loudly, without
#     a GPU);
#  2. asan preset: the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#     (HWLAB_TEST_ASAN=0 skips it);
#  3. fuzz preset: a short smoke run of every libFuzzer target on its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup/install-deps.sh
jobs=$(nproc)

step() { echo; echo "=== $*"; }

step "release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"
build/release/isa/hwlab_isa_docgen --check .  # papers/isa/reference.md and rtl/generated/ current with isa/table.cpp

if [ "${HWLAB_TEST_ASAN:-1}" != 0 ]; then
  step "asan build and tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
fi

step "fuzz smoke"
bash tools/setup/fuzz.sh smoke
echo
echo "all tests passed"

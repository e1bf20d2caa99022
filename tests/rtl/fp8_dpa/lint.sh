#!/usr/bin/env bash
# verilator --lint-only -Wall on the top module of rtl/fp8_dpa with each variant's parameters: no
# warning may remain. A SPEC is "name -GPARAM=value ..." (fp8_dpa.cmake makes them from the
# variant table, fp8_dpa_variants.h).
# Usage: lint.sh VERILATOR RTL_DIR SPEC...   (sources: RTL_DIR/fp8_dpa_*.sv)
set -u
verilator=$1 dir=$2
shift 2
[ $# -gt 0 ] || { echo "FAIL: no variants to lint"; exit 1; }
fail=0
for spec in "$@"; do
  read -r name params <<<"$spec"
  # shellcheck disable=SC2086  # params: one -G option per word
  if ! out=$("$verilator" --lint-only -Wall --top-module fp8_dpa_unit $params "$dir"/fp8_dpa_*.sv 2>&1); then
    echo "FAIL: $name ($params)"
    echo "$out"
    fail=1
  elif [ -n "$out" ]; then
    echo "FAIL: $name ($params): output from the linter"
    echo "$out"
    fail=1
  else
    echo "ok: $name ($params)"
  fi
done
exit $fail

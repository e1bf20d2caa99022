#!/usr/bin/env bash
# `hwlab version` prints the version and a commit; unknown subcommands exit 2; cuBLASLt is not linked.
set -u
hwlab=$1
out=$("$hwlab" version) || { echo "version failed"; exit 1; }
[[ $out =~ ^hwlab\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]{12}(-dirty)?|unknown)\)$ ]] || { echo "unexpected: $out"; exit 1; }
"$hwlab" no-such-command >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "unknown subcommand exited $rc, expected 2"; exit 1; }
"$hwlab" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "no subcommand exited $rc, expected 2"; exit 1; }
"$hwlab" --help >/dev/null || { echo "--help failed"; exit 1; }
# cuBLASLt is dlopen'ed by the GPU measurements that use it (kernels/cublaslt_loader.cpp): linked, it
# would cost every hwlab process ~0.34 s and ~200 MB at start-up.
if command -v readelf >/dev/null; then
  ! readelf -d "$hwlab" | grep -q 'NEEDED.*libcublasLt' || { echo "hwlab links libcublasLt"; exit 1; }
fi
exit 0

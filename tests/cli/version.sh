#!/usr/bin/env bash
# `hwlab version` prints the version and a commit; unknown subcommands exit 2.
set -u
hwlab=$1
out=$("$hwlab" version) || { echo "version failed"; exit 1; }
[[ $out =~ ^hwlab\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]{12}(-dirty)?|unknown)\)$ ]] || { echo "unexpected: $out"; exit 1; }
"$hwlab" no-such-command >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "unknown subcommand exited $rc, expected 2"; exit 1; }
"$hwlab" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "no subcommand exited $rc, expected 2"; exit 1; }
"$hwlab" --help >/dev/null || { echo "--help failed"; exit 1; }
exit 0

# Shared by the CLI tests (sourced: `source "$(dirname "$0")/lib.sh"` after reading the arguments):
# a temporary folder that is the working directory and goes away on exit, `fail`, and
# `expect_error`. A test sets OUTPUTS to the output files its commands may write.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
OUTPUTS=${OUTPUTS:-}

fail() {
  echo "FAIL: $*"
  exit 1
}

# expect_error NAME PATTERN -- command...: exit 2, PATTERN in stderr, none of $OUTPUTS and no
# temporary file left behind.
expect_error() {
  local name=$1 pattern=$2
  shift 3
  local f
  for f in $OUTPUTS; do rm -f "$f"; done
  "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2 ($(cat stderr.txt))"
  grep -qF -- "$pattern" stderr.txt || fail "$name: stderr lacks '$pattern': $(cat stderr.txt)"
  for f in $OUTPUTS; do [ ! -e "$f" ] || fail "$name: an output file was left ($f)"; done
  ! ls -a | grep -q '\.tmp' || fail "$name: a temporary file was left"
}

#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12's packages (as root). Idempotent: when all
# packages are already there it changes nothing and needs no network.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git python3
  libsystemc-dev verilator yosys
  catch2 libbenchmark-dev
  libibverbs-dev ibverbs-utils
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libtbb-dev
  clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

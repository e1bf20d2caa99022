#!/usr/bin/env bash
# Builds the portable GPU binaries (CMake preset `device`, see cmake/DevicePortable.cmake) into
# build/device and stages what the lent GPU machine needs in build/device-stage/: hwlab, the test
# binaries, and every shared library of ours that machine lacks (TBB, SystemC, ...), found through
# RPATH $ORIGIN / LD_LIBRARY_PATH. NCCL, cuBLASLt and the driver come from the device itself.
# Then: run(command="bash tools/device/check-and-measure.sh validate", carry=["build/device-stage"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=build/device-stage
cmake --preset device >/dev/null
cmake --build build/device -j "$(nproc)" --target hwlab-device test_exchange_gpu test_runtime
rm -rf "$stage"
mkdir -p "$stage"
cp build/device/tools/device/hwlab-device "$stage"/hwlab
cp build/device/tests/test_exchange_gpu build/device/tests/test_runtime "$stage"/
for bin in "$stage"/hwlab "$stage"/test_exchange_gpu "$stage"/test_runtime; do
  ldd "$bin" | awk '/=> \//{print $1, $3}' | while read -r name path; do
    case "$name" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libgcc_s*|libstdc++*) ;;  # the device's own
      libnccl*|libcublas*|libcuda.so*|libnvidia*) ;;                                           # from the device's CUDA
      *) [ -e "$stage/$name" ] || cp -L "$path" "$stage/$name" ;;
    esac
  done
done
strip --strip-debug "$stage"/* 2>/dev/null || true
echo "staged in $stage:"
ls -la "$stage"
du -sh "$stage"

#!/usr/bin/env bash
# The whole FP8 device sequence in one call, run in the repository root on the GPU machine:
# device facts, the probes (one process per group, so that a fault in one path loses nothing else),
# the CUDA model's bit check and rate against cuBLASLt, and the SASS of the probe kernels.
#
#   bash tools/device/fp8-probe.sh [STAGE]     STAGE: folder with fp8_probe and fp8_model_bench built
#                                              here (default build/fp8-stage); rebuilt with nvcc there
#                                              from kernels/numerics when they do not start
#
# Everything lands in $OUT (7 files, within the 8 that come back): mma.bin, wgmma.bin,
# cublaslt_fast.bin, cublaslt_default.bin, cublaslt_block.bin, cuda_model.bin, manifest.txt (device,
# commands, per-record notes, logs, SASS summary). Then, on the CPU machine:
#   hwlab fp8 gemm-check $FILES/*.bin
set -u
out=${OUT:?set OUT to the output folder}
stage=${1:-build/fp8-stage}
log=$out/manifest.txt
say() { echo "$@" | tee -a "$log"; }
run() {  # run CMD...: echo it, run it with its output in the manifest, report its exit status
  say "\$ $*"
  "$@" >>"$log" 2>&1
  local rc=$?
  say "# exit $rc"
  return $rc
}

say "# fp8-probe.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
run nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
run nvidia-smi -L
say "# cuBLASLt: $(ldconfig -p | grep -i cublasLt | head -3 | tr '\n' ' ') | $(ls /usr/local/cuda/lib64 2>/dev/null | grep -i cublas | tr '\n' ' ')"
say "# nvcc: $(/usr/local/cuda/bin/nvcc --version 2>/dev/null | tail -1)"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}

bin=$stage
"$bin/fp8_probe" >/dev/null 2>&1
if [ $? -ne 2 ]; then  # 2: usage, i.e. the carried binary loads
  say "# carried binaries do not start here; building with nvcc"
  bin=/tmp/fp8bin
  mkdir -p $bin
  flags="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. -cudart static -Xcompiler -static-libstdc++"
  k=kernels/numerics
  run /usr/local/cuda/bin/nvcc $flags $k/fp8_probe.cu $k/mma_probes.cu $k/cublaslt_probe.cu -lcublasLt -o $bin/fp8_probe &
  run /usr/local/cuda/bin/nvcc $flags $k/fp8_model_bench.cu $k/model_gemm.cu $k/cublaslt_probe.cu -lcublasLt -o $bin/fp8_model_bench &
  wait
fi

run timeout 60 "$bin/fp8_probe" "$out" mma
run timeout 120 "$bin/fp8_probe" "$out" cublaslt
run timeout 60 "$bin/fp8_probe" "$out" wgmma
run timeout 180 "$bin/fp8_model_bench" "$out" 2048
tail -6 "$log" | grep -E "TFLOP|native|preset" || true

say "# SASS: matrix instructions per kernel of fp8_probe"
cuobjdump -sass "$bin/fp8_probe" 2>/dev/null |
  awk '/Function :/ {f=$3} /GMMA|HMMA|IMMA/ {for (i = 1; i <= NF; ++i) if ($i ~ /^(Q|H|I)(G)?MMA/) {print f, $i; break}}' |
  sort | uniq -c | tee -a "$log"
say "# SASS: instruction mix of the mma.sync FP8 kernel (e4m3)"
cuobjdump -sass "$bin/fp8_probe" 2>/dev/null |
  awk '/Function :/ {f=$3} f ~ /mma_sync_fp8_kernelILb0/ && /^ +\/\*[0-9a-f]+\*\// {op=$2; if (op ~ /^@/) op=$3; sub(/;$/, "", op); n[op]++}
       END {for (o in n) print n[o], o}' | sort -rn | head -25 | tee -a "$log"
say "# SASS: fp8_model_bench instruction mix (model kernel)"
cuobjdump -sass "$bin/fp8_model_bench" 2>/dev/null |
  awk '/Function :/ {f=$3} f ~ /model_gemm_kernel/ && /^ +\/\*[0-9a-f]+\*\// {op=$2; if (op ~ /^@/) op=$3; sub(/\..*/, "", op); n[op]++}
       END {for (o in n) if (n[o] > 20) print n[o], o}' | sort -rn | head -20 | tee -a "$log"
ls -la "$out" | tee -a "$log"

#!/usr/bin/env bash
# What runs ON the lent GPU machine (tool `run`, with carry=["build/device-stage"] from
# tools/device/build.sh). One call does: an environment check, the GPU tests (invoked directly, no
# ctest there), the measurements of MODE, and a short summary table at the end. Everything is written
# under $OUT (at most 8 files): log.txt (all output), env.txt, tests.txt, and the result files
# (results.tar: the hwlab.result/1 JSON files).
#   MODE = validate   1 GPU: tests, small checked runs of every command and exchange, repeat-and-hash
#          h100       1 GPU: validate + the H100 campaign (SM sweep, NCCL, copy engine, GEMMs, layers)
#          h200x2     2 GPUs: tests + the two-GPU campaign
#          combine-gemm  every GPU present: tests + pull vs push SM combine (DeepSeek-V3 EP2 exchange) and
#                     block- vs tensor-scaled expert GEMMs (prefill-like and decode-like layers)
# Never changes clocks, power, persistence or MIG; NVLink multicast stays off (NCCL_NVLS_ENABLE=0).
set -uo pipefail
mode=${1:-validate}
cd "$(dirname "$0")/../.."
stage=$PWD/build/device-stage
OUT=${OUT:-/tmp/hwlab-out}
mkdir -p "$OUT" "$OUT/json"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
log=$OUT/log.txt
exec > >(tee -a "$log") 2>&1

# NCCL and cuBLASLt of the device: CUDA's folder, the system, or the Python wheels.
find_lib_dir() {
  local roots="/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu"
  roots="$roots $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null)"
  for d in $roots; do
    local f
    f=$(find -L "$d" -maxdepth 5 -name "$1" 2>/dev/null | head -1)
    if [ -n "$f" ]; then dirname "$f"; return; fi
  done
}
nccl_dir=$(find_lib_dir libnccl.so.2)
lt_dir=$(find_lib_dir libcublasLt.so.13)
export LD_LIBRARY_PATH="$stage:${nccl_dir}:${lt_dir}:${LD_LIBRARY_PATH:-}"
hw=$stage/hwlab
summary=()
note() { summary+=("$1"); }
run_step() {  # name, command...: runs, records the exit status in the summary
  local name=$1; shift
  echo; echo "=== $name: $*"
  local t0=$SECONDS
  timeout --signal=TERM "${STEP_TIMEOUT:-150}" "$@"
  local rc=$?
  note "$(printf '%-44s rc=%-3s %4ss' "$name" "$rc" "$((SECONDS - t0))")"
  return $rc
}

{
  echo "date: $(date -u +%FT%TZ)  mode: $mode"
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.draw --format=csv
  nvidia-smi topo -m 2>/dev/null | head -8
  echo "nccl: ${nccl_dir:-NOT FOUND}   cublasLt: ${lt_dir:-NOT FOUND}"
  ldconfig -p | grep -E 'nccl|cublasLt|ibverbs' | head
  ldd "$hw" | grep -E 'not found|nccl|cublas|tbb|systemc'
  ls /sys/class/infiniband 2>/dev/null || echo "no /sys/class/infiniband"
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
ngpu=$(nvidia-smi -L | wc -l)

EP2=(--set workload.deployment.nodes=1 --set workload.deployment.gpus_per_node=2 --set workload.deployment.attention_tp=1
     --set workload.deployment.attention_dp=2 --set workload.deployment.expert_parallel=2
     --set workload.deployment.redundant_experts=0 --set workload.placement.policy=contiguous)

# --- tests
run_step "cpu tests (test_runtime)" "$stage/test_runtime" > "$OUT/tests.txt" 2>&1
tail -3 "$OUT/tests.txt"
run_step "gpu tests (test_exchange_gpu)" "$stage/test_exchange_gpu" >> "$OUT/tests.txt" 2>&1
tail -25 "$OUT/tests.txt"

g=1; case "$mode" in h200x2*) g=2 ;; combine-gemm) g=$ngpu ;; esac
# --- checked runs of every command and exchange, small
run_step "collective alltoall 1M:64M g$g" "$hw" measure collective --op alltoall --bytes 1M:64M:4 --gpus $g --iters 10 --out "$OUT/json/coll-a2a-small.json"
run_step "collective alltoallv 1M:64M g$g" "$hw" measure collective --op alltoallv --bytes 1M:64M:4 --gpus $g --iters 10 --out "$OUT/json/coll-a2av-small.json"
for comm in sm nccl copy-engine; do
  run_step "moe decode t16 $comm g$g" "$hw" measure moe --workload dsv3-decode --set workload.deployment.tokens_per_gpu=16 \
    --comm $comm --comm-sms 8 --gpus $g --iters 5 --warmup 2 --out "$OUT/json/moe-decode16-$comm.json"
done
run_step "repeat-and-hash x20 (ep2 t512)" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" \
  --set workload.deployment.tokens_per_gpu=512 --no-gemm --repeat-hash 20 --gpus $g --iters 3 --warmup 1
run_step "bad input exits 2" bash -c "\"$hw\" measure moe --comm rdma; [ \$? -eq 2 ]"

case "$mode" in
  h100-nccl|h200x2-nccl)
    # The NCCL side again (blocking communicator) next to the SM kernels, same session.
    run_step "collective alltoall 1M:1G g$g" "$hw" measure collective --op alltoall --bytes 1M:1G:4 --gpus $g --out "$OUT/json/coll-alltoall.json"
    run_step "collective alltoallv 1M:1G g$g" "$hw" measure collective --op alltoallv --bytes 1M:1G:4 --gpus $g --out "$OUT/json/coll-alltoallv.json"
    run_step "ds-ep2 nccl" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm nccl --gpus $g --no-gemm \
      --out "$OUT/json/ep2-nccl.json"
    run_step "ds-ep2 sm 16,20" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm sm --comm-sms 20,16 --gpus $g \
      --no-gemm --out "$OUT/json/ep2-sm.json"
    run_step "decode layer nccl" "$hw" measure moe --workload dsv3-decode --comm nccl --gpus $g --iters 10 --warmup 3 \
      --out "$OUT/json/decode-layer-nccl.json"
    ;;
  h100|h200x2)
    run_step "collective alltoall 1M:1G g$g" "$hw" measure collective --op alltoall --bytes 1M:1G:4 --gpus $g --out "$OUT/json/coll-alltoall.json"
    run_step "collective alltoallv 1M:1G g$g" "$hw" measure collective --op alltoallv --bytes 1M:1G:4 --gpus $g --out "$OUT/json/coll-alltoallv.json"
    # DeepSeek-V3 dispatch: 4096 tokens per GPU, hidden 7168, top-8 of 256, EP2 (folded onto 1 GPU on the H100).
    run_step "ds-ep2 sm sweep 2..32" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm sm \
      --comm-sms 2,4,8,12,16,20,24,32 --gpus $g --no-gemm --out "$OUT/json/ep2-sm-sweep.json"
    run_step "ds-ep2 nccl" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm nccl --gpus $g --no-gemm \
      --out "$OUT/json/ep2-nccl.json"
    run_step "ds-ep2 copy-engine" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm copy-engine --gpus $g \
      --no-gemm --out "$OUT/json/ep2-ce.json"
    # Prefill-like layer (dsv3-prefill folded, GEMMs, 2 micro-batches overlapped) and decode-like layer.
    # The SM list also sweeps the GEMMs' confinement (SMs - k for each k); the layer uses k = 20.
    tok=4096; [ "$mode" = h100 ] && tok=1024
    run_step "prefill layer t$tok sm20" "$hw" measure moe --workload dsv3-prefill --set workload.deployment.tokens_per_gpu=$tok \
      --comm sm --comm-sms 20,8,16,24,32 --gpus $g --iters 5 --warmup 2 --out "$OUT/json/prefill-layer-sm20.json"
    run_step "decode layer sm8" "$hw" measure moe --workload dsv3-decode --comm sm --comm-sms 8 --gpus $g --iters 10 \
      --warmup 3 --out "$OUT/json/decode-layer-sm8.json"
    run_step "decode layer nccl" "$hw" measure moe --workload dsv3-decode --comm nccl --gpus $g --iters 10 --warmup 3 \
      --out "$OUT/json/decode-layer-nccl.json"
    ;;
  combine-gemm)
    for how in pull push; do
      run_step "ds-ep2 sm $how 8..32" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm sm --sm-combine $how \
        --comm-sms 8,16,20,24,32 --gpus $g --no-gemm --out "$OUT/json/ep2-sm-$how.json"
    done
    run_step "ds-ep2 nccl" "$hw" measure moe --workload dsv3-prefill "${EP2[@]}" --comm nccl --gpus $g --no-gemm \
      --out "$OUT/json/ep2-nccl.json"
    tok=1024; [ "$g" -gt 1 ] && tok=4096
    for scales in block tensor; do
      run_step "prefill layer t$tok sm20 $scales" "$hw" measure moe --workload dsv3-prefill \
        --set workload.deployment.tokens_per_gpu=$tok --comm sm --comm-sms 20 --gemm-scales $scales --gpus $g --iters 5 \
        --warmup 2 --out "$OUT/json/prefill-layer-$scales.json"
      run_step "decode layer sm8 $scales" "$hw" measure moe --workload dsv3-decode --comm sm --comm-sms 8 --gemm-scales $scales \
        --gpus $g --iters 10 --warmup 3 --out "$OUT/json/decode-layer-$scales.json"
    done
    ;;
esac

(cd "$OUT" && tar cf results.tar json && rm -rf json)
echo
echo "=== summary ($mode, $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs))"
for line in "${summary[@]}"; do echo "$line"; done

#!/usr/bin/env bash
# The long libFuzzer runs (ISA assembler and descriptor decoder, config loader) on a machine with
# many cores: the lent GPU machines have 16 and our development machine 2.
#   here:       bash tools/device/fuzz-long.sh stage          builds the fuzz preset and stages the
#                                                             targets + the shared libraries they need
#                                                             in build/fuzz-stage/
#   on device:  bash tools/device/fuzz-long.sh run RUNS [JOBS] RUNS executions of every target, split
#                                                             over JOBS parallel libFuzzer jobs sharing
#                                                             one corpus; logs and any crash input go
#                                                             to $OUT (or out/fuzz-long/)
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=build/fuzz-stage
targets=(fuzz_asm fuzz_decode fuzz_config)

case "${1:-}" in
  stage)
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]}"
    rm -rf "$stage" && mkdir -p "$stage/lib" "$stage/seeds/fuzz_asm" "$stage/seeds/fuzz_config"
    for t in "${targets[@]}"; do cp "build/fuzz/tests/fuzz/$t" "$stage/"; done
    # Debian libraries the device image lacks (glibc and the kernel interface are not copied).
    ldd "$stage/fuzz_asm" "$stage/fuzz_config" | awk '/=> \// {print $3}' | sort -u |
      grep -E 'libyaml-cpp|libfmt|libtbb|libstdc\+\+|libgcc_s' | xargs -r cp -L -t "$stage/lib/"
    cp isa/examples/*.s tests/data/isa/asm/*.s "$stage/seeds/fuzz_asm/"
    cp -r tests/data/isa/bin "$stage/seeds/fuzz_decode"
    cp configs/*/*.yaml tests/data/configs/bad/*.yaml "$stage/seeds/fuzz_config/"
    cp tests/fuzz/isa_asm.dict tests/fuzz/isa_decode.dict tests/fuzz/yaml.dict "$stage/"
    du -sh "$stage"
    ;;
  run)
    runs=${2:?runs per target}
    jobs=${3:-$(nproc)}
    out=${OUT:-out/fuzz-long}
    mkdir -p "$out"
    export LD_LIBRARY_PATH="$PWD/$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    declare -A dict=([fuzz_asm]=isa_asm.dict [fuzz_decode]=isa_decode.dict [fuzz_config]=yaml.dict)
    {
      echo "host: $(hostname), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
      echo "date: $(date -u +%FT%TZ)"
    } >"$out/summary.txt"
    for t in "${targets[@]}"; do
      [ -n "${FUZZ_ONLY:-}" ] && [[ " $FUZZ_ONLY " != *" $t "* ]] && continue
      corpus=$(mktemp -d)
      cp "$stage/seeds/$t"/* "$corpus/"
      per_job=$(( (runs + jobs - 1) / jobs ))
      start=$(date +%s)
      ( cd "$out" && "$OLDPWD/$stage/$t" -dict="$OLDPWD/$stage/${dict[$t]}" -timeout=10 -rss_limit_mb=2048 \
          -runs="$per_job" -jobs="$jobs" -workers="$jobs" -artifact_prefix="$t-" "$corpus" \
          >"$t-driver.log" 2>&1 ) || true
      end=$(date +%s)
      done_runs=0 crashes=0
      for log in "$out"/fuzz-*.log; do
        n=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}' || true)
        done_runs=$(( done_runs + ${n:-0} ))
        grep -qE 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|SUMMARY: |runtime error' "$log" &&
          crashes=$(( crashes + 1 ))
        mv "$log" "$out/$t-$(basename "$log")"
      done
      artifacts=$(ls "$out" | grep -c "^$t-\(crash\|leak\|timeout\|oom\)" || true)
      echo "$t: $done_runs runs in $jobs jobs, $(( end - start )) s, jobs with a sanitizer/libFuzzer error: $crashes, artifacts: $artifacts, corpus: $(ls "$corpus" | wc -l) inputs" |
        tee -a "$out/summary.txt"
      rm -rf "$corpus"
    done
    ;;
  *)
    echo "usage: $0 stage | run RUNS [JOBS]" >&2
    exit 2
    ;;
esac

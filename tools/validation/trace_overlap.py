#!/usr/bin/env python3
"""Fraction of communication time overlapped with compute in a Chrome/Perfetto trace.

Two kinds of trace:
  * a PyTorch-profiler trace such as DeepSeek's deepseek-ai/profile-data train.json: communication
    = every kernel on the stream that runs DeepEP's kernels (names containing `dpsk::ep::` or
    `deep_ep`), compute = every kernel on the other streams;
  * an hwlab trace (`hwlab emulate --trace`): communication = dispatch/combine spans (tid 1),
    compute = attention/experts spans (tid 0), per GPU (pid).
overlap = |comm ∩ compute| / |comm|, unions of intervals per GPU, summed over GPUs.

  python3 tools/validation/trace_overlap.py TRACE.json [--gemm-only]
"""
import json
import sys


def merge(intervals):
    out = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def intersection(a, b):
    i = j = 0
    total = 0.0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def is_deepep(name):
    return "dpsk::ep::" in name or "deep_ep" in name


def overlap(trace, gemm_only=False):
    """Returns (overlapped_us, comm_us, per-GPU count)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    kernels = [e for e in events if e.get("ph") == "X" and e.get("cat") == "kernel"]
    groups = {}
    if kernels:  # PyTorch profiler
        comm_streams = {e["args"]["stream"] for e in kernels if is_deepep(e["name"])}
        for e in kernels:
            g = groups.setdefault(e.get("pid"), ([], []))
            iv = (e["ts"], e["ts"] + e["dur"])
            if e["args"]["stream"] in comm_streams:
                g[0].append(iv)
            elif not gemm_only or "Gemm" in e["name"] or "flash" in e["name"].lower():
                g[1].append(iv)
    else:  # hwlab
        for e in events:
            if e.get("ph") != "X":
                continue
            g = groups.setdefault(e["pid"], ([], []))
            iv = (e["ts"], e["ts"] + e["dur"])
            (g[0] if e["cat"] in ("dispatch", "combine") else g[1]).append(iv)
    done = total = 0.0
    for comm, compute in groups.values():
        c = merge(comm)
        total += sum(b - a for a, b in c)
        done += intersection(c, merge(compute))
    return done, total, len(groups)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        trace = json.load(f)
    done, total, gpus = overlap(trace, "--gemm-only" in sys.argv[2:])
    print(f"{sys.argv[1]}: {gpus} GPU(s), communication {total:.0f} us, overlapped {done:.0f} us = "
          f"{100 * done / total:.1f} %")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Holds the flow-level collective model to the SystemC packet model (papers/validation/flow-model.md).

Runs `hwlab emulate collective` with --model packet and --model flow on the same cases, one size
at a time, and prints a Markdown table: time of each, relative error of flow against packet, the
CPU seconds each took, and the flow model's bottleneck. Same hwlab, same inputs -> same table
(apart from the CPU columns).

    python3 tools/validation/flow_vs_packet.py --hwlab build/release/tools/hwlab/hwlab [--quick]

--quick leaves out the 4096-GPU packet run (about 45 s of one core).
The flow model is meant for bandwidth-bound exchanges: rows of at least --held-from bytes per rank
(default 256M) must be within --max-error (default 10 %) or the script exits 1; smaller rows, where
incast waves and latency the flow model does not see can dominate, are reported, not held.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

# (label, platform, proposal or None, op, gpus, sms, sizes, extra --set overrides)
CASES = [
    ("one node", "h800", None, "alltoall", 8, 20, ["1M", "16M", "256M"], []),
    ("2 nodes", "h800", None, "alltoall", 16, 20, ["1M", "16M", "256M"], []),
    ("8 nodes", "h800", None, "alltoall", 64, 20, ["1M", "16M", "256M"], []),
    ("8 nodes, 4 SMs", "h800", None, "alltoall", 64, 4, ["16M", "256M"], []),
    ("8 nodes, alltoallv", "h800", None, "alltoallv", 64, 20, ["16M", "256M"], []),
    ("32 nodes", "h800", None, "alltoall", 256, 20, ["1M", "16M", "256M"], []),
    ("32 nodes, alltoallv", "h800", None, "alltoallv", 256, 20, ["16M", "256M"], []),
    ("128 nodes", "h800", None, "alltoall", 1024, 20, ["1M", "16M", "256M"], []),
    ("128 nodes, alltoallv", "h800", None, "alltoallv", 1024, 20, ["256M"], []),
    ("512 nodes", "h800", None, "alltoall", 4096, 20, ["256M"], []),
    ("2 nodes, co-processor", "h800", "coprocessor", "alltoall", 16, 20, ["1M", "16M", "256M"], []),
    ("32 nodes, co-processor", "h800", "coprocessor", "alltoall", 256, 20, ["16M", "256M"], []),
    ("8 nodes, co-processor, 1 queue of 2", "h800", "coprocessor", "alltoall", 64, 20, ["16M"],
     ["proposal.coprocessor.command_queues=1", "proposal.coprocessor.queue_depth=2"]),
    ("h100 fat-tree, 32 nodes", "h100", None, "alltoall", 256, 20, ["16M", "256M"], []),
    ("8 nodes, NIC 100 GB/s", "h800", None, "alltoall", 64, 20, ["256M"],
     ["platform.nic.achievable_GBps=100", "platform.nic.link_GBps=100"]),
]


def to_bytes(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * mult[text[-1]] if text[-1] in mult else int(text)


def run(hwlab, case, size, model):
    label, platform, proposal, op, gpus, sms, _, sets = case
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        cmd = [hwlab, "emulate", "collective", "--platform", platform, "--op", op, "--gpus", str(gpus),
               "--bytes", f"{size}:{size}", "--sms", str(sms), "--model", model, "--out", out]
        if proposal:
            cmd += ["--proposal", proposal]
        for s in sets:
            cmd += ["--set", s]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with open(out) as f:
            r = json.load(f)
    row = r["collectives"][0]
    bottleneck = r["run"].get("flow_bottlenecks", [{}])[0].get("resource", "")
    return row["time_us"], cpu, bottleneck, " ".join(cmd[1:-2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hwlab", required=True)
    ap.add_argument("--quick", action="store_true", help="leave out the 4096-GPU packet runs")
    ap.add_argument("--max-error", type=float, default=10.0, help="percent")
    ap.add_argument("--held-from", default="256M", help="smallest bytes per rank held to --max-error")
    a = ap.parse_args()
    print("| case | GPUs | bytes/rank | packet us | flow us | error | held | packet CPU s | flow CPU s | flow bottleneck |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---|")
    worst = worst_all = 0.0
    held_from = to_bytes(a.held_from)
    for case in CASES:
        if a.quick and case[4] >= 4096:
            continue
        for size in case[6]:
            p_us, p_cpu, _, _ = run(a.hwlab, case, size, "packet")
            f_us, f_cpu, bottleneck, _ = run(a.hwlab, case, size, "flow")
            err = 100.0 * (f_us - p_us) / p_us
            held = to_bytes(size) >= held_from
            worst_all = max(worst_all, abs(err))
            if held:
                worst = max(worst, abs(err))
            print(f"| {case[0]} ({case[3]}) | {case[4]} | {size} | {p_us:.2f} | {f_us:.2f} | {err:+.2f} % | "
                  f"{'yes' if held else 'no'} | "
                  f"{p_cpu:.2f} | {f_cpu:.2f} | {bottleneck.replace('gpu', 'GPU ', 1) if bottleneck.startswith('gpu') else bottleneck} |",
                  flush=True)
    print(f"\nlargest |error|: {worst:.2f} % on rows of at least {a.held_from} per rank (limit {a.max_error} %), "
          f"{worst_all:.2f} % over all rows")
    return 1 if worst > a.max_error else 0


if __name__ == "__main__":
    sys.exit(main())

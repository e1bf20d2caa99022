#!/usr/bin/env python3
"""Holds MoE runs on the flow-level network model to the packet model (papers/validation/flow-model.md).

Runs `hwlab emulate` with platform.emulation.network_model=packet and =flow on the same cases and
prints Markdown tables: layer, dispatch and combine times of each, the flow model's error, CPU
seconds (the forked emulation included), and what the co-processor proposal gains over SMs in each
model. Same hwlab, same inputs -> same tables (apart from the CPU columns).

    python3 tools/validation/flow_vs_packet_moe.py --hwlab build/release/tools/hwlab/hwlab [--quick]

--quick leaves out the full 58-layer steps (about 3 minutes of one core with the packet model).
Exit 1 when a full-layer case's layer_us error exceeds --max-error (default 10 %).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

# (label, workload, proposal or None, --layers or "comm-only", extra overrides)
CASES = [
    ("prefill EP32, dispatch + combine", "dsv3-prefill", None, "comm-only", []),
    ("prefill EP32, dispatch + combine", "dsv3-prefill", "coprocessor", "comm-only", []),
    ("decode EP320, dispatch + combine", "dsv3-decode", None, "comm-only", []),
    ("decode EP320, dispatch + combine", "dsv3-decode", "coprocessor", "comm-only", []),
    ("prefill, 4 layers", "dsv3-prefill", None, "4", []),
    ("prefill, 4 layers", "dsv3-prefill", "coprocessor", "4", []),
    ("decode, 4 layers", "dsv3-decode", None, "4", []),
    ("decode, 4 layers", "dsv3-decode", "coprocessor", "4", []),
    ("decode, 4 layers, 12 SMs", "dsv3-decode", None, "4", ["workload.deployment.comm_sms=12"]),
    ("prefill, 4 layers, NIC 25 GB/s", "dsv3-prefill", None, "4", ["platform.nic.achievable_GBps=25"]),
    ("decode, 4 layers, straggler x1.5", "dsv3-decode", None, "4",
     ["platform.faults.stragglers=[7]", "platform.faults.straggler_slowdown=1.5"]),
    ("decode step, 58 layers", "dsv3-decode", None, "0", []),
    ("decode step, 58 layers", "dsv3-decode", "coprocessor", "0", []),
    ("prefill step, 58 layers", "dsv3-prefill", None, "0", []),
    ("prefill step, 58 layers", "dsv3-prefill", "coprocessor", "0", []),
]


def run(hwlab, case, model):
    _, workload, proposal, layers, sets = case
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        cmd = [hwlab, "emulate", "--platform", "h800", "--workload", workload, "--quiet", "--out", out,
               "--set", f"platform.emulation.network_model={model}"]
        cmd += ["--comm-only"] if layers == "comm-only" else ["--layers", layers]
        if proposal:
            cmd += ["--proposal", proposal]
        for s in sets:
            cmd += ["--set", s]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with open(out) as f:
            return json.load(f)["metrics"], cpu


def err(flow, packet):
    return 100.0 * (flow - packet) / packet if packet else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hwlab", required=True)
    ap.add_argument("--quick", action="store_true", help="leave out the 58-layer steps")
    ap.add_argument("--max-error", type=float, default=10.0, help="percent, on layer_us of full layers")
    a = ap.parse_args()
    print("| case | proposal | packet layer us | flow layer us | error | packet dispatch / combine us | "
          "flow dispatch / combine us | packet CPU s | flow CPU s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    gains = {}
    for case in CASES:
        if a.quick and case[3] == "0":
            continue
        p, p_cpu = run(a.hwlab, case, "packet")
        f, f_cpu = run(a.hwlab, case, "flow")
        e = err(f["layer_us"], p["layer_us"])
        if case[3] != "comm-only":
            worst = max(worst, abs(e))
        print(f"| {case[0]} | {case[2] or 'SMs'} | {p['layer_us']:.1f} | {f['layer_us']:.1f} | {e:+.2f} % | "
              f"{p['dispatch_us']:.1f} / {p['combine_us']:.1f} | {f['dispatch_us']:.1f} / {f['combine_us']:.1f} | "
              f"{p_cpu:.2f} | {f_cpu:.2f} |", flush=True)
        gains.setdefault((case[0], tuple(case[4])), {})[case[2]] = (p["layer_us"], f["layer_us"])
    print("\n| case | co-processor vs SMs, packet | co-processor vs SMs, flow |")
    print("|---|---:|---:|")
    for (label, _), by in gains.items():
        if None in by and "coprocessor" in by:
            (ps, fs), (pc, fc) = by[None], by["coprocessor"]
            print(f"| {label} | {err(pc, ps):+.2f} % | {err(fc, fs):+.2f} % |")
    print(f"\nlargest |layer_us error| over full layers: {worst:.2f} % (limit {a.max_error} %)")
    return 1 if worst > a.max_error else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs every validation row of papers/validation/README.md through `hwlab emulate` and prints the
table: row, public figure, emulated, error, calibrated or held out, command.

  python3 tools/validation/validate.py --hwlab build/validation/tools/hwlab/hwlab \
      --out build/validation/results [--jobs 2] [--only ROW,ROW] [--set platform.k=v ...]

Run from the repository root (tools/validation/run.sh does the build and calls this). `--set`
overrides are appended to every row (sensitivity studies; the table's commands then show them).
"""
import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trace_overlap import overlap  # noqa: E402

W = "configs/workloads/validation"

# DeepEP's bytes: FP8 dispatch = hidden x (1 + 4/128) = 7392 B per token copy, BF16 combine = 14336 B;
# the LL benchmark also counts 16 B of per-token metadata (7408 B). hwlab's payloads are the same
# 7392 / 14336 B (workloads/workload_config.h).


def normal_row(ep, phase, figure, calibrated):
    """DeepEP normal kernels: the README's 'bottleneck bandwidth'.

    intranode (tests/test_intranode.py): bytes = tokens the rank receives, its own included
      (recv_x.numel()), x 7392 (dispatch) or 14336 (combine) B, over the kernel time;
    internode (tests/test_internode.py): bytes = the rank's (token, destination node) pairs, its own
      node included (num_rdma_token_sent), x 7392 or 14336 B, over the kernel time.
    hwlab emits the bytes each GPU put on NVLink / IB, which leave out the GPU's own share (no link):
    with uniform routing the own share is, in expectation, 1/(EP-1) of the NVLink peers' (intranode)
    and 1/(nodes-1) of the remote nodes' (internode), hence the factors below.
    """
    nodes = ep // 8
    link = "nvlink" if nodes == 1 else "ib"
    own = ep / (ep - 1) if nodes == 1 else nodes / (nodes - 1)

    def metric(m):
        return m[f"{phase}_{link}_bytes_per_gpu"] * own / (m[f"{phase}_us"] * 1e3)

    return {
        "id": f"normal-ep{ep}-{phase}", "run": f"normal-ep{ep}",
        "what": f"DeepEP normal EP{ep} {phase}, {'NVLink' if nodes == 1 else 'RDMA'} GB/s",
        "figure": figure, "calibrated": calibrated, "metric": metric,
    }


def ll_row(ep, phase, figure, calibrated):
    """DeepEP low-latency kernels: the README's latency = the dispatch (combine) kernel's time."""
    return {
        "id": f"ll-ep{ep}-{phase}", "run": f"ll-ep{ep}",
        "what": f"DeepEP low-latency EP{ep} {phase}, us",
        "figure": figure, "calibrated": calibrated, "metric": lambda m: m[f"{phase}_us"],
    }


def isca_csv(path):
    """A perfectly balanced routing for the EP speed-limit row: 288 GPUs x 32 tokens, 9 experts per
    token, one expert per GPU; every token of GPU s picks the GPUs s + 8, s + 16, ..., s + 72 (mod
    288), i.e. nine other nodes, so that every GPU sends and receives exactly 32 x 9 token copies,
    all over IB."""
    with open(path, "w") as f:
        f.write("# tools/validation/validate.py: balanced routing for the ISCA'25 EP speed-limit row\n")
        for s in range(288):
            row = ",".join(str((s + 8 * (j + 1)) % 288) for j in range(9))
            f.write((row + "\n") * 32)


# The LL kernels put one message per (token, expert) copy (7408 B with metadata): their runs cut
# transfers into single tokens (hwlab's default window is 64 KiB = 8 tokens, like the normal
# kernels' chunks). The EP speed-limit row is a decode exchange of the same kind.
LL_WINDOW = ["--set", "platform.emulation.chunk_bytes=7392"]


def runs(out):
    """Each emulator run once: id -> (hwlab emulate arguments, options)."""
    csv = os.path.join(out, "isca25-balanced.csv")
    r = {f"normal-ep{ep}": {"args": ["--workload", f"{W}/deepep-normal-ep{ep}.yaml", "--comm-only"]}
         for ep in (8, 16, 32, 64)}
    for ep in (8, 16, 32, 64, 128, 256):
        r[f"ll-ep{ep}"] = {"args": ["--workload", f"{W}/deepep-ll-ep{ep}.yaml", "--comm-only"] + LL_WINDOW}
    isca = ["--workload", f"{W}/isca25-ep-speed-limit.yaml", "--comm-only", "--set",
            "platform.nic.achievable_GBps=50"] + LL_WINDOW
    r["isca25"] = {"args": isca + ["--set", "workload.routing.popularity=trace",
                                   "--set", f"workload.routing.trace_file={csv}"],
                   "setup": lambda: isca_csv(csv)}
    r["isca25-random"] = {"args": isca}
    r["train"] = {"args": ["--workload", f"{W}/dsv3-train-profile.yaml", "--layers", "4"], "trace": True}
    return r


def rows():
    r = [
        normal_row(8, "dispatch", 153, "calibration: comm_sm.receive_GBps_per_sm"),
        normal_row(8, "combine", 158, "calibration: comm_sm.nvlink_send_GBps_per_sm"),
        normal_row(16, "dispatch", 43, ""), normal_row(16, "combine", 43, ""),
        normal_row(32, "dispatch", 58, ""), normal_row(32, "combine", 57, ""),
        normal_row(64, "dispatch", 51, ""), normal_row(64, "combine", 50, ""),
    ]
    for ep, d, c in ((8, 77, 114), (16, 118, 195), (32, 155, 273), (64, 173, 314), (128, 192, 369),
                     (256, 194, 360)):
        r.append(ll_row(ep, "dispatch", d, ""))
        r.append(ll_row(ep, "combine", c, ""))
    r.append({"id": "isca25-ep-step", "run": "isca25",
              "what": "ISCA'25 EP speed limit, dispatch + combine, us (balanced routing, 50 GB/s)",
              "figure": 120.96, "calibrated": "", "metric": lambda m: m["dispatch_us"] + m["combine_us"]})
    r.append({"id": "isca25-ep-step-random", "run": "isca25-random",
              "what": "  same with uniform random routing (receivers unbalanced)",
              "figure": 120.96, "calibrated": "(sensitivity)",
              "metric": lambda m: m["dispatch_us"] + m["combine_us"]})
    # Public figure: deepseek-ai/profile-data train.json (commit 4496024), measured with
    # `python3 tools/validation/trace_overlap.py train.json` (the issue quotes "about 91 %").
    r.append({"id": "train-overlap", "run": "train",
              "what": "DeepSeek training profile: comm. time overlapped with compute, %",
              "figure": 96.3, "calibrated": "", "metric": "overlap"})
    return r


def run_one(hwlab, out, rid, spec, extra):
    result = os.path.join(out, rid + ".json")
    cmd = [hwlab, "emulate", "--platform", "h800"] + spec["args"] + extra + ["--quiet", "--out", result]
    if spec.get("trace"):
        cmd += ["--trace", os.path.join(out, rid + ".trace.json")]
    if spec.get("setup"):
        spec["setup"]()
    if os.path.exists(result):
        os.remove(result)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    spec["seconds"] = time.time() - t0
    spec["command"] = " ".join(shlex.quote(c) for c in cmd)
    if p.returncode != 0 or not os.path.exists(result):
        spec["error"] = ((p.stderr or p.stdout).strip().splitlines() or [f"exit {p.returncode}"])[-1]
        return
    with open(result) as f:
        spec["metrics"] = json.load(f)["metrics"]
    if spec.get("trace"):
        with open(os.path.join(out, rid + ".trace.json")) as f:
            done, total, _ = overlap(json.load(f))
        spec["overlap"] = 100.0 * done / total if total else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hwlab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated row ids")
    ap.add_argument("--set", action="append", default=[], help="extra override for every row")
    a = ap.parse_args()
    a.out = os.path.abspath(a.out)
    os.makedirs(a.out, exist_ok=True)
    extra = [x for v in a.set for x in ("--set", v)]
    todo = [r for r in rows() if not a.only or r["id"] in a.only.split(",")]
    specs = runs(a.out)
    needed = sorted({r["run"] for r in todo}, key=lambda k: (k not in ("train", "normal-ep64"), k))
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        list(pool.map(lambda k: run_one(a.hwlab, a.out, k, specs[k], extra), needed))

    lines = ["| row | public figure | emulated | error | calibrated / held out | command |",
             "|---|---:|---:|---:|---|---|"]
    errors = []
    failed = 0
    for r in todo:
        spec = specs[r["run"]]
        cmd = spec["command"].replace(a.hwlab, "hwlab").replace(a.out + "/", "$OUT/")
        if "error" in spec:
            failed += 1
            lines.append(f"| {r['what']} | {r['figure']:g} | failed: {spec['error']} | | | `{cmd}` |")
            continue
        emulated = spec["overlap"] if r["metric"] == "overlap" else r["metric"](spec["metrics"])
        err = (emulated - r["figure"]) / r["figure"]
        if not r["calibrated"]:
            errors.append(abs(err))
        lines.append(f"| {r['what']} | {r['figure']:g} | {emulated:.1f} | {100 * err:+.1f} % | "
                     f"{r['calibrated'] or 'held out'} | `{cmd}` |")
    table = "\n".join(lines) + "\n"
    if errors:
        table += (f"\nHeld-out rows: {len(errors)}, mean |error| {100 * sum(errors) / len(errors):.1f} %, "
                  f"max {100 * max(errors):.1f} %.\n")
    table += (f"{len(needed)} emulator runs, {a.jobs} at a time, {time.time() - t0:.0f} s "
              f"(slowest: {max(needed, key=lambda k: specs[k].get('seconds', 0))}, "
              f"{max(specs[k].get('seconds', 0) for k in needed):.0f} s).\n")
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table)
    sys.stdout.write(table)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

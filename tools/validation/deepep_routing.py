#!/usr/bin/env python3
"""DeepEP's benchmark routing, sampled (Monte Carlo), and the per-GPU link rates that its published
bandwidths imply. DeepEP's tests draw scores |N(0,1)| + 1 for 256 experts, take (internode) the best
min(nodes, 4) node groups by their best score, then the top 8 experts; experts lie on ranks
contiguously. The README's bandwidths count bytes the hardware never moves (a rank's own tokens,
its own node's copy); the real NVLink / IB traffic per GPU is a fixed share of them:

  intranode: NVLink bytes = logical x (EP - 1) / EP              (own tokens stay local)
  internode: IB bytes     = logical x remote nodes / nodes per token   (own node's copy stays local)

  python3 tools/validation/deepep_routing.py     # about 10 s
"""
import random


def sample(nodes, tokens=4000, seed=0, rule="max"):
    """Mean distinct nodes, remote nodes (source on node 0) and ranks per token."""
    rnd = random.Random(seed)
    experts, topk, ranks = 256, 8, nodes * 8
    groups, keep = nodes, min(nodes, 4)
    per_group, per_rank = experts // groups, experts // ranks
    n_nodes = n_remote = n_ranks = 0
    for _ in range(tokens):
        s = [abs(rnd.gauss(0, 1)) + 1 for _ in range(experts)]

        def score(g):
            v = sorted(s[g * per_group:(g + 1) * per_group], reverse=True)
            return v[0] if rule == "max" else sum(v[:topk // keep])  # DeepEP's test / DeepSeek-V3's rule

        kept = sorted(range(groups), key=lambda g: -score(g))[:keep]
        cand = [e for g in kept for e in range(g * per_group, (g + 1) * per_group)]
        top = sorted(cand, key=lambda e: -s[e])[:topk]
        hit_nodes = {e // (experts // nodes) for e in top}
        n_nodes += len(hit_nodes)
        n_remote += len(hit_nodes - {0})
        n_ranks += len({e // per_rank for e in top})
    return n_nodes / tokens, n_remote / tokens, n_ranks / tokens


def main():
    figures = {1: (153, 158), 2: (43, 43), 4: (58, 57), 8: (51, 50)}
    print("| EP | nodes/token | remote nodes/token | ranks/token | DeepEP dispatch, combine (logical GB/s) | "
          "implied per-GPU link rate, dispatch, combine (GB/s) | dispatch NVLink receive per GPU (GB/s) |")
    print("|---:|---:|---:|---:|---|---|---:|")
    for nodes, (d, c) in figures.items():
        n, remote, ranks = sample(nodes)
        ep = nodes * 8
        if nodes == 1:
            share, link = (ep - 1) / ep, "NVLink"
        else:
            share, link = remote / n, "IB"
        # Dispatch time from the figure; NVLink receive = the token copies a GPU gets from others.
        seconds = 4096 * (ranks if nodes == 1 else n) * 7392 / (d * 1e9)
        nvl_rx = 4096 * ranks * 7392 * (ep - 1) / ep / seconds / 1e9
        print(f"| {ep} | {n:.3f} | {remote:.3f} | {ranks:.3f} | {d}, {c} | {link} {d * share:.1f}, {c * share:.1f} | "
              f"{nvl_rx:.1f} |")
    n_max, _, _ = sample(8, rule="max")
    n_sum, _, _ = sample(8, rule="sum")
    print(f"\nEP64 nodes per token, DeepEP's group score (best expert) {n_max:.3f} vs hwlab's "
          f"(sum of best 2) {n_sum:.3f}: {100 * (n_sum / n_max - 1):+.2f} %")


if __name__ == "__main__":
    main()

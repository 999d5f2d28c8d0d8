"""Time the PointNet++ point ops: fast batched versions against the per-point loop references.

Two size classes:
  small  -- sizes where the Python loop references are feasible (fast vs loop, with speed-up);
  scene  -- a 40,000-point indoor scene as VoteNet sees it (fast ops only).

Usage:  python benchmarks/bench_ops.py [--sizes small,scene] [--devices cpu,cuda] [--json out.json]
The default run takes well under a minute on two CPU cores; CUDA is timed when available.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from typing import Callable

import torch

from strl.ops import reference as ref
from strl.ops.ball_query import ball_query
from strl.ops.fps import furthest_point_sample
from strl.ops.grouping import gather_points, group_points
from strl.ops.interpolate import inverse_distance_weights, three_interpolate, three_nn

SIZES = {
    # name: points N, FPS samples / ball centres m, radius, nsample, 3-NN known points, channels C
    "small": dict(n=512, m=64, radius=0.2, nsample=32, known=64, channels=16),
    "scene": dict(n=40_000, m=2048, radius=0.2, nsample=64, known=1024, channels=256),
}


def make_inputs(size: dict, device: torch.device, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    extent = torch.tensor([8.0, 8.0, 3.0]) if size["n"] > 10_000 else torch.ones(3)
    xyz = torch.rand(1, size["n"], 3, generator=gen) * extent
    centres = xyz[:, : size["m"]]
    dist, idx3 = three_nn(xyz, xyz[:, : size["known"]])
    inputs = dict(
        xyz=xyz,
        centres=centres,
        known=xyz[:, : size["known"]],
        feats=torch.randn(1, size["channels"], size["n"], generator=gen),
        known_feats=torch.randn(1, size["channels"], size["known"], generator=gen),
        sample_idx=torch.randint(0, size["n"], (1, size["m"]), generator=gen),
        group_idx=ball_query(centres, xyz, size["radius"], size["nsample"]),
        idx3=idx3,
        weight=inverse_distance_weights(dist),
    )
    return {k: v.to(device) for k, v in inputs.items()}


def cases(size: dict, x: dict) -> dict[str, tuple[Callable, Callable]]:
    """op name -> (fast call, loop-reference call)."""
    r, ns = size["radius"], size["nsample"]
    return {
        "furthest_point_sample": (
            lambda: furthest_point_sample(x["xyz"], size["m"]),
            lambda: ref.furthest_point_sample_loop(x["xyz"], size["m"]),
        ),
        "ball_query": (
            lambda: ball_query(x["centres"], x["xyz"], r, ns),
            lambda: ref.ball_query_loop(x["centres"], x["xyz"], r, ns),
        ),
        "three_nn": (lambda: three_nn(x["xyz"], x["known"]), lambda: ref.three_nn_loop(x["xyz"], x["known"])),
        "gather_points": (
            lambda: gather_points(x["feats"], x["sample_idx"]),
            lambda: ref.gather_points_loop(x["feats"], x["sample_idx"]),
        ),
        "group_points": (
            lambda: group_points(x["feats"], x["group_idx"]),
            lambda: ref.group_points_loop(x["feats"], x["group_idx"]),
        ),
        "three_interpolate": (
            lambda: three_interpolate(x["known_feats"], x["idx3"], x["weight"]),
            lambda: ref.three_interpolate_loop(x["known_feats"], x["idx3"], x["weight"]),
        ),
    }


def timed(fn: Callable, device: torch.device, repeat: int) -> float:
    """Median wall time in seconds over ``repeat`` runs after one warm-up run."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    fn()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(sizes: list[str], devices: list[str], repeat: int, ops: list[str] | None) -> list[dict]:
    rows = []
    for size_name in sizes:
        size = SIZES[size_name]
        for dev in devices:
            device = torch.device(dev)
            x = make_inputs(size, device)
            for op, (fast, loop) in cases(size, x).items():
                if ops and op not in ops:
                    continue
                row = dict(op=op, size=size_name, device=dev, fast_s=timed(fast, device, repeat))
                if size_name == "small" and dev == "cpu":
                    start = time.perf_counter()
                    loop()
                    row["loop_s"] = time.perf_counter() - start
                    row["speedup"] = row["loop_s"] / row["fast_s"]
                rows.append(row)
                print(format_row(row), flush=True)
    return rows


def format_row(row: dict) -> str:
    loop = f"{row['loop_s']:10.4f}" if "loop_s" in row else f"{'-':>10}"
    speed = f"{row['speedup']:9.0f}x" if "speedup" in row else f"{'-':>10}"
    return f"{row['op']:<22}{row['size']:<7}{row['device']:<6}{row['fast_s']:10.4f}{loop}{speed}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,scene", help="comma list of: " + ", ".join(SIZES))
    parser.add_argument("--devices", default=None, help="comma list (default: cpu, plus cuda if available)")
    parser.add_argument("--ops", default=None, help="comma list of op names to time (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per fast op (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    sizes = [s for s in args.sizes.split(",") if s]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown size(s) {sorted(unknown)}; choose from {sorted(SIZES)}")
    devices = args.devices.split(",") if args.devices else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" in devices and not torch.cuda.is_available():
        parser.error("cuda requested but no CUDA device is available")
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; times in seconds (median)")
    print(f"{'op':<22}{'size':<7}{'dev':<6}{'fast':>10}{'loop':>10}{'speed-up':>10}")
    rows = run(sizes, devices, args.repeat, args.ops.split(",") if args.ops else None)
    if args.json:
        meta = dict(
            torch=torch.__version__,
            threads=torch.get_num_threads(),
            machine=platform.platform(),
            cuda=torch.cuda.get_device_name() if "cuda" in devices else None,
            sizes={s: SIZES[s] for s in sizes},
        )
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, results=rows), f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

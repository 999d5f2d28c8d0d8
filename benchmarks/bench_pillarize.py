"""Time PointPillars pillarisation of one synthetic 120,000-point sweep on the full KITTI grid.

Two synthetic sweeps over the ``pointpillars-kitti`` range [0, -39.68, -3, 69.12, 39.68, 1]:
  uniform -- points uniform over the whole range box: about 90,000 occupied pillars, far above
             the 16,000 / 40,000 limits (the worst case for the pillar limit);
  lidar   -- a 64-beam, 360-degree sweep (ground plane plus obstacles): about 52,000 of its points
             and 12,000 pillars fall in the range, close to a real KITTI sweep.
Each is timed for ``pillarize`` (points -> (P, 32, 4) pillars, coordinates, counts) with the
training and test limits, and for the 10-channel PillarVFE input built from the pillars.

``strl bench --preset pointpillars-kitti`` measures the same pillarisation (and the training steps).

Usage:  python benchmarks/bench_pillarize.py [--threads 1] [--repeats 20] [--device cpu|cuda] [--json out.json]
"""

from __future__ import annotations

import argparse
import json

import torch

from strl.bench.pointpillars import lidar_sweep, timed, uniform_sweep
from strl.detection.pointpillars import batch_points, pillarize, preset
from strl.detection.pointpillars.pillar_features import augment_pillar_points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--points", type=int, default=120_000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = preset("pointpillars-kitti")
    gen = torch.Generator().manual_seed(0)
    sweeps = {"uniform": uniform_sweep(args.points, cfg, gen), "lidar": lidar_sweep(args.points, gen)}
    results = []
    print(f"{args.points} points, grid {cfg.grid_size[0]} x {cfg.grid_size[1]}, device {device}, {args.threads} thread(s), median of {args.repeats}; wall time (process CPU time)")
    for name, sweep in sweeps.items():
        points = batch_points([sweep.to(device)])
        for mode, limit in (("train", cfg.max_pillars_train), ("test", cfg.max_pillars_test)):
            run = lambda: pillarize(points, cfg.point_cloud_range, cfg.voxel_size, cfg.max_points_per_pillar, limit)  # noqa: E731
            pillars = run()
            ms, cpu_ms = (1e3 * t for t in timed(run, args.repeats, device))
            aug = lambda: augment_pillar_points(pillars.points, pillars.num_points, pillars.coords, cfg.point_cloud_range, cfg.voxel_size)  # noqa: E731
            aug_ms, aug_cpu_ms = (1e3 * t for t in timed(aug, args.repeats, device))
            row = dict(sweep=name, mode=mode, pillars=len(pillars.coords), pillarize_ms=round(ms, 2), pillarize_cpu_ms=round(cpu_ms, 2),
                       vfe_input_ms=round(aug_ms, 2), vfe_input_cpu_ms=round(aug_cpu_ms, 2))
            results.append(row)
            print(f"  {name:8s} {mode:5s} limit {limit:6d}: {row['pillars']:6d} pillars, pillarize {ms:6.2f} ms (CPU {cpu_ms:6.2f} ms), "
                  f"10-channel VFE input {aug_ms:6.2f} ms (CPU {aug_cpu_ms:6.2f} ms)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(points=args.points, threads=args.threads, device=str(device), results=results), f, indent=2)


if __name__ == "__main__":
    main()

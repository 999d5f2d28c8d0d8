"""Time one PointPillars training step (pillarise, forward, loss, backward) and inference per frame.

The frames are the synthetic 64-beam sweeps of :mod:`strl.bench.pointpillars` (``strl bench --preset
pointpillars-kitti`` times this step too, with the pre-training step) (about 52,000 of 120,000
points in the KITTI range) with a few ground-truth cars; each preset sees the part of the sweep
inside its own range.

Usage:  python benchmarks/bench_pointpillars_step.py [--presets pointpillars-kitti,pointpillars-laptop]
            [--batch 1] [--repeats 3] [--threads N] [--device cpu|cuda] [--json out.json]
"""

from __future__ import annotations

import argparse
import json

import torch

from strl.bench.pointpillars import example_boxes, lidar_sweep, timed
from strl.detection.pointpillars import PointPillars, preset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="pointpillars-kitti,pointpillars-laptop")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    gen = torch.Generator().manual_seed(0)
    frames = [lidar_sweep(120_000, gen).to(device) for _ in range(args.batch)]
    gt_boxes, gt_classes = example_boxes(args.batch, device)
    results = []
    print(f"device {device}, {torch.get_num_threads()} thread(s), batch {args.batch}, median of {args.repeats}; wall time (process CPU time, all threads)")
    for name in args.presets.split(","):
        cfg = preset(name)
        model = PointPillars(cfg).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

        def train_step():
            model.train()
            parts = model.loss(model(model.pillarize(frames)), gt_boxes, gt_classes)
            optimizer.zero_grad()
            parts.total.backward()
            optimizer.step()

        @torch.no_grad()
        def inference():
            model.eval()
            model.predict(model(model.pillarize(frames)))

        step, step_cpu = (t / args.batch for t in timed(train_step, args.repeats, device, warmup=1))
        infer, infer_cpu = (t / args.batch for t in timed(inference, args.repeats, device, warmup=1))
        nx, ny, _ = cfg.grid_size
        row = dict(preset=name, grid=f"{nx}x{ny}", anchors=cfg.num_anchors, train_step_s_per_frame=round(step, 3), train_step_cpu_s_per_frame=round(step_cpu, 3),
                   inference_s_per_frame=round(infer, 3), inference_cpu_s_per_frame=round(infer_cpu, 3))
        results.append(row)
        print(f"  {name:22s} grid {nx}x{ny}, {cfg.num_anchors} anchors: train step {step:.3f} s/frame (CPU {step_cpu:.3f} s), "
              f"inference {infer:.3f} s/frame (CPU {infer_cpu:.3f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(device=str(device), threads=torch.get_num_threads(), batch=args.batch, results=results), f, indent=2)


if __name__ == "__main__":
    main()

"""Time the KITTI object evaluation on a KITTI-val-sized synthetic set.

3769 frames (the val split), about 10 ground-truth objects (Car, Van, Truck, Pedestrian,
Person_sitting, Cyclist, Misc, DontCare) and about 30 detections per frame: jittered copies of
the objects, some of another class, plus scattered false positives.

Usage:  python benchmarks/bench_kitti_eval.py [--frames 3769] [--gt 10] [--dt 30] [--loose] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import numpy as np
import torch

from strl.formats.kitti_labels import KittiLabels
from strl.metrics.kitti import evaluate_kitti, format_kitti_table

CLASSES = np.array(["Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Misc", "DontCare"])
CLASS_P = np.array([0.45, 0.05, 0.03, 0.17, 0.02, 0.08, 0.03, 0.17])
SIZES = np.array([[1.5, 1.6, 3.9], [2.2, 1.9, 5.0], [3.2, 2.5, 10.0], [1.75, 0.6, 0.8], [1.2, 0.6, 0.9],
                  [1.75, 0.6, 1.8], [1.8, 1.5, 3.0], [1.0, 1.0, 1.0]])
DETECTED_CLASSES = np.array(["Car", "Pedestrian", "Cyclist"])


def _boxes_2d(rng: np.random.Generator, k: int) -> np.ndarray:
    left, top = rng.uniform(0, 1150, k), rng.uniform(100, 250, k)
    height = rng.uniform(15, 150, k)
    return np.stack([left, top, left + height * rng.uniform(0.4, 2.0, k), top + height], axis=1)


def synthetic_frame(rng: np.random.Generator, n_gt: int, n_dt: int) -> tuple[KittiLabels, KittiLabels]:
    """One frame: ``n_gt`` ground-truth objects and ``n_dt`` detections (about 2 per object, the rest random)."""
    cls = rng.choice(len(CLASSES), n_gt, p=CLASS_P)
    dims = SIZES[cls] * rng.uniform(0.85, 1.15, (n_gt, 3))
    loc = np.stack([rng.uniform(-20, 20, n_gt), rng.uniform(1.0, 2.0, n_gt), rng.uniform(4, 60, n_gt)], axis=1)
    gt = KittiLabels(CLASSES[cls], rng.choice([0.0, 0.0, 0.2, 0.4, 0.7], n_gt), rng.integers(0, 4, n_gt),
                rng.uniform(-np.pi, np.pi, n_gt), _boxes_2d(rng, n_gt), dims, loc, rng.uniform(-np.pi, np.pi, n_gt))
    copies = rng.integers(0, n_gt, min(n_dt, 2 * n_gt)) if n_gt else np.zeros(0, dtype=np.int64)
    n_copy, n_rand = len(copies), n_dt - len(copies)
    spread = rng.choice([0.03, 0.1, 0.3], n_copy)[:, None]
    name = np.where(np.isin(gt.name[copies], DETECTED_CLASSES) & (rng.random(n_copy) < 0.9), gt.name[copies],
                    rng.choice(DETECTED_CLASSES, n_copy))
    dt = KittiLabels(
        name=np.concatenate([name, rng.choice(DETECTED_CLASSES, n_rand)]),
        truncated=np.full(n_dt, -1.0), occluded=np.full(n_dt, -1, dtype=np.int64),
        alpha=np.concatenate([gt.alpha[copies] + rng.normal(0, 0.2, n_copy), rng.uniform(-np.pi, np.pi, n_rand)]),
        bbox=np.concatenate([gt.bbox[copies] + rng.normal(0, 4, (n_copy, 4)), _boxes_2d(rng, n_rand)]),
        dimensions=np.concatenate([dims[copies] * (1 + spread * rng.normal(0, 0.5, (n_copy, 3))),
                                   SIZES[rng.integers(0, 6, n_rand)]]),
        location=np.concatenate([loc[copies] + spread * rng.normal(0, 1, (n_copy, 3)),
                                 np.stack([rng.uniform(-20, 20, n_rand), np.full(n_rand, 1.6),
                                           rng.uniform(4, 60, n_rand)], axis=1)]),
        rotation_y=np.concatenate([gt.rotation_y[copies] + spread[:, 0] * rng.normal(0, 1, n_copy),
                                   rng.uniform(-np.pi, np.pi, n_rand)]),
        score=rng.uniform(0, 1, n_dt),
    )
    return gt, dt


def synthetic_set(frames: int, gt_per_frame: int, dt_per_frame: int, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    pairs = [synthetic_frame(rng, int(rng.poisson(gt_per_frame)), int(rng.poisson(dt_per_frame)))
             for _ in range(frames)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3769)
    parser.add_argument("--gt", type=int, default=10, help="mean ground-truth objects per frame")
    parser.add_argument("--dt", type=int, default=30, help="mean detections per frame")
    parser.add_argument("--loose", action="store_true", help="also the loose IoU thresholds")
    parser.add_argument("--json", help="write the timings here")
    args = parser.parse_args()
    gt, dt = synthetic_set(args.frames, args.gt, args.dt)
    n_gt, n_dt = sum(len(g.name) for g in gt), sum(len(d.name) for d in dt)
    start, start_cpu = time.perf_counter(), time.process_time()
    results = evaluate_kitti(gt, dt, loose=args.loose)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    print(format_kitti_table(results))
    print(f"\n{args.frames} frames, {n_gt} ground-truth objects, {n_dt} detections: "
          f"evaluate_kitti {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU "
          f"({platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"frames": args.frames, "gt": n_gt, "dt": n_dt, "loose": args.loose, "seconds": seconds,
                       "cpu_seconds": cpu_seconds}, f)


if __name__ == "__main__":
    main()

"""Time one VoteNet training step (forward, loss, backward) per scene, for presets of scene size.

    python benchmarks/bench_votenet.py [--configs laptop-8k,sunrgbd-20k,scannet-40k] [--threads 2]
        [--batch-size 1] [--steps 3] [--device cpu|cuda] [--json out.json]

Each configuration runs on a synthetic 6 m x 6 m room (floor, walls, 12 boxes of points) with
ScanNet's box parameterisation; the first step is a warm-up. Reports the median wall time and
the process CPU time per scene (CPU time is what an otherwise idle machine would take on one core).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from strl.bench.machine import describe_machine, synchronize
from strl.detection.votenet import SCANNET, VoteNet, box_vote_targets, collate_detection, prepare_scene, votenet_loss

#: name -> input points, backbone sample counts, proposals
CONFIGS = {
    "laptop-8k": (8000, (1024, 512, 256, 128), 128),
    "laptop-20k": (20000, (1024, 512, 256, 128), 128),
    "sunrgbd-20k": (20000, (2048, 1024, 512, 256), 256),
    "scannet-40k": (40000, (2048, 1024, 512, 256), 256),
}


def synthetic_room(num_points: int, gen: torch.Generator):
    """Points ``(M, 3)`` of a floor, two walls and 12 boxes, the boxes ``(12, 7)`` and their classes."""
    k = 12
    sizes = 0.4 + torch.rand(k, 3, generator=gen) * 1.2
    centres = torch.cat([0.8 + torch.rand(k, 2, generator=gen) * 4.4, sizes[:, 2:] / 2], 1)
    boxes = torch.cat([centres, sizes, torch.zeros(k, 1)], 1)
    per_box = num_points // (2 * k)
    owner = torch.arange(k).repeat_interleave(per_box)
    objects = boxes[owner, :3] + (torch.rand(len(owner), 3, generator=gen) - 0.5) * boxes[owner, 3:6]
    rest = num_points - len(owner)
    shell = torch.rand(rest, 3, generator=gen) * torch.tensor([6.0, 6.0, 3.0])
    shell[: rest // 2, 2] = 0.0  # floor
    shell[rest // 2 : 3 * rest // 4, 0] = 0.0  # walls
    shell[3 * rest // 4 :, 1] = 0.0
    return torch.cat([objects, shell]), boxes, torch.randint(SCANNET.num_class, (k,), generator=gen)


def time_config(name: str, batch_size: int, steps: int, device: str) -> dict:
    num_points, npoints, proposals = CONFIGS[name]
    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(batch_size):
        points, boxes, classes = synthetic_room(num_points, gen)
        offsets, mask = box_vote_targets(points, boxes)
        samples.append(prepare_scene(points, boxes, classes, offsets, mask, num_point=num_points,
                                     use_height=True, augment="scannet", generator=gen))
    batch = collate_detection(samples).to(device)
    model = VoteNet(SCANNET, input_feature_dim=1, npoints=npoints, num_proposal=proposals).to(device).train()
    walls, cpus = [], []
    for step in range(steps + 1):
        synchronize(device)
        wall, cpu = time.perf_counter(), time.process_time()
        loss = votenet_loss(model(batch.points), batch, SCANNET)["loss"]
        model.zero_grad(set_to_none=True)
        loss.backward()
        synchronize(device)
        if step:  # the first step is a warm-up
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return {
        "config": name, "points": num_points, "npoints": list(npoints), "proposals": proposals,
        "batch_size": batch_size, "wall_s_per_scene": statistics.median(walls) / batch_size,
        "cpu_s_per_scene": statistics.median(cpus) / batch_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = {"machine": describe_machine(args.device, args.threads), "runs": []}
    for name in args.configs.split(","):
        run = time_config(name, args.batch_size, args.steps, args.device)
        results["runs"].append(run)
        print(f"{name:12s} {run['points']:6d} points  {run['wall_s_per_scene']:7.2f} s wall  "
              f"{run['cpu_s_per_scene']:7.2f} s CPU per scene (forward + loss + backward)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``strl bench --preset pointpillars-kitti``: PointPillars speed on synthetic LiDAR sweeps.

Three measurements on the preset's grid (``pointpillars-kitti``: OpenPCDet's 432 x 496 pillars):

* pillarisation of one 120,000-point sweep on one thread (points -> ``(P, 32, 4)`` pillars with
  the training and the test pillar limit), wall and process CPU time, median of ``repeats``;
* the detector's training step (pillarise, forward, loss, backward, Adam) in frames/s;
* the pre-training step (BYOL on two LiDAR-pipeline views of a sweep through ``vfe`` +
  ``backbone_2d``, optimizer, EMA) in pairs/s, as ``strl pretrain --preset pointpillars-kitti-seq``
  runs it; and detector inference (pillarise, forward, decoding and NMS) in frames/s.

The sweeps (:func:`lidar_sweep`) are a 64-beam, 360-degree scan of a flat ground with random
obstacles: about 52,000 of 120,000 points and 12,000 pillars fall in the KITTI range, close to a
real KITTI sweep. On a GPU (``device="cuda"``) the steps run in bf16 autocast as ``strl pretrain``
does there (``precision="auto"``).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass

import torch

from strl.bench.machine import describe_machine, synchronize
from strl.bench.train_step import StepSettings, step_precision
from strl.errors import ConfigError
from strl.train.allocator import keep_freed_memory

#: points of the pillarised sweep: a KITTI HDL-64E sweep holds about 120,000
SWEEP_POINTS = 120_000


def uniform_sweep(n: int, cfg, gen: torch.Generator) -> torch.Tensor:
    """``(n, 4)`` points uniform over ``cfg``'s range box (reflectance uniform): the worst case for the pillar limit."""
    low = torch.tensor(cfg.point_cloud_range[:3])
    extent = torch.tensor(cfg.point_cloud_range[3:]) - low
    xyz = torch.rand(n, 3, generator=gen) * extent + low
    return torch.cat([xyz, torch.rand(n, 1, generator=gen)], dim=1)


def lidar_sweep(n: int, gen: torch.Generator) -> torch.Tensor:
    """``(n, 4)``: a 64-beam sweep over 360 degrees (beams from -24.8 to +2 degrees, sensor 1.73 m above
    a flat ground); each ray ends on the ground or, earlier, on an obstacle at a random 4-60 m."""
    beams = 64
    steps = n // beams
    elevation = torch.deg2rad(torch.linspace(-24.8, 2.0, beams))[:, None].expand(beams, steps)
    azimuth = torch.linspace(-math.pi, math.pi, steps)[None, :].expand(beams, steps)
    ground = torch.where(elevation < 0, 1.73 / torch.tan(-elevation).clamp(min=1e-3), torch.full_like(elevation, 1e3))
    sector = torch.arange(steps) // 8  # obstacles span 8 azimuth steps; 40% of the sectors have one
    sectors = steps // 8 + 1
    obstacle = torch.where(torch.rand(sectors, generator=gen) < 0.4, 4.0 + 56.0 * torch.rand(sectors, generator=gen),
                           torch.tensor(1e3))
    distance = torch.minimum(ground, obstacle[sector][None, :]) + 0.02 * torch.randn(beams, steps, generator=gen)
    flat = distance * torch.cos(elevation)
    xyz = torch.stack([flat * torch.cos(azimuth), flat * torch.sin(azimuth), distance * torch.sin(elevation)], dim=-1)
    xyz = xyz.reshape(-1, 3)
    return torch.cat([xyz, torch.rand(len(xyz), 1, generator=gen)], dim=1)


def timed(fn, repeats: int, device, warmup: int = 2) -> tuple[float, float]:
    """Median wall seconds and median process CPU seconds of ``repeats`` calls of ``fn`` after
    ``warmup`` calls. On a shared machine the CPU time of a one-thread run is the better guide to
    what an idle core would take."""
    wall, cpu = [], []
    for i in range(repeats + warmup):
        synchronize(device)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        synchronize(device)
        if i >= warmup:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def example_boxes(batch: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Two ground-truth cars per frame, ``(B, 2, 7)`` boxes and ``(B, 2)`` class indices."""
    from strl.detection.pointpillars import pad_boxes

    cars = torch.tensor([[10.0, 3.0, -0.95, 3.9, 1.6, 1.56, 0.3], [20.0, -5.0, -0.95, 3.9, 1.6, 1.56, 1.8]], device=device)
    return pad_boxes([cars] * batch, [torch.zeros(2, dtype=torch.long, device=device)] * batch)


@dataclass
class PillarBenchSettings:
    """What to measure. ``batch_size`` (frames of a detector step, pairs of a pre-training step)
    None: 2 on CPU (the least the BatchNorm of BYOL's heads takes), the preset's OpenPCDet batch (4 for
    KITTI) on a GPU; ``points`` None: the pre-training preset's points per view."""

    preset: str = "pointpillars-kitti"
    pretrain_preset: str = "pointpillars-kitti-seq"
    device: str = "cpu"
    batch_size: int | None = None
    points: int | None = None
    threads: int = 2
    steps: int = 2
    warmup: int = 1
    repeats: int = 20  # pillarisation calls timed
    precision: str = "auto"


def measure_pillarize(cfg, device, repeats: int, seed: int = 0) -> list[dict]:
    """Pillarisation of a :data:`SWEEP_POINTS` sweep (lidar and uniform) with both pillar limits, on the current threads."""
    from strl.detection.pointpillars import batch_points, pillarize

    gen = torch.Generator().manual_seed(seed)
    rows = []
    for name, sweep in (("lidar", lidar_sweep(SWEEP_POINTS, gen)), ("uniform", uniform_sweep(SWEEP_POINTS, cfg, gen))):
        points = batch_points([sweep.to(device)])
        for mode, limit in (("train", cfg.max_pillars_train), ("test", cfg.max_pillars_test)):
            def run():
                return pillarize(points, cfg.point_cloud_range, cfg.voxel_size, cfg.max_points_per_pillar, limit)

            wall, cpu = timed(run, repeats, device)
            pillars = run()
            rows.append(dict(sweep=name, mode=mode, points=SWEEP_POINTS, pillars=len(pillars.coords),
                             points_kept=int(pillars.num_points.sum()), ms=1e3 * wall, cpu_ms=1e3 * cpu))
    return rows


def measure_detector(cfg, batch: int, s: PillarBenchSettings, bf16: bool, seed: int = 1) -> dict:
    """Frames/s of the detector's training step and of inference on ``batch`` lidar sweeps."""
    from strl.detection.pointpillars import PointPillars

    gen = torch.Generator().manual_seed(seed)
    frames = [lidar_sweep(SWEEP_POINTS, gen).to(s.device) for _ in range(batch)]
    gt_boxes, gt_classes = example_boxes(batch, s.device)
    model = PointPillars(cfg).to(s.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    cast = torch.autocast(torch.device(s.device).type, dtype=torch.bfloat16, enabled=bf16)

    def train_step():
        model.train()
        with cast:
            parts = model.loss(model(model.pillarize(frames)), gt_boxes, gt_classes)
        optimizer.zero_grad()
        parts.total.backward()
        optimizer.step()

    @torch.no_grad()
    def inference():
        model.eval()
        with cast:
            model.predict(model(model.pillarize(frames)))

    step, step_cpu = timed(train_step, s.steps, s.device, s.warmup)
    infer, infer_cpu = timed(inference, s.steps, s.device, s.warmup)
    return {"train_samples_per_s": batch / step, "train_step_seconds": step, "train_step_cpu_seconds": step_cpu,
            "inference_samples_per_s": batch / infer, "inference_seconds": infer, "inference_cpu_seconds": infer_cpu}


def measure_pretraining(pretrain_cfg, batch: int, s: PillarBenchSettings, bf16: bool, seed: int = 2) -> dict:
    """Pairs/s of the BYOL step on two lidar-pipeline views of each of ``batch`` sweeps."""
    from strl.train.augmenting import augment_config, augment_pairs
    from strl.train.module import build_method
    from strl.train.optim import build_optimizer

    gen = torch.Generator().manual_seed(seed)
    sweeps = torch.stack([lidar_sweep(SWEEP_POINTS, gen)[:, :3] for _ in range(batch)]).to(s.device)
    keys = torch.stack([torch.tensor([seed, 0, i]) for i in range(batch)])
    views = augment_pairs({"a": sweeps, "b": sweeps, "key": keys}, augment_config(pretrain_cfg))
    method = build_method(pretrain_cfg).to(s.device)
    c = pretrain_cfg
    optimizer = build_optimizer(method.trainable_parameters(), c.optimizer, c.lr, c.weight_decay, c.momentum, c.lars)
    cast = torch.autocast(torch.device(s.device).type, dtype=torch.bfloat16, enabled=bf16)
    count = [0]

    def step():
        with cast:
            loss, _ = method.loss(views["a"], views["b"])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        method.update_momentum(count[0], 1000)
        count[0] += 1

    seconds, cpu = timed(step, s.steps, s.device, s.warmup)
    return {"pretrain_pairs_per_s": batch / seconds, "pretrain_step_seconds": seconds, "pretrain_step_cpu_seconds": cpu,
            "pretrain_points_per_view": int(views["a"].shape[1])}


def run_pointpillars_benchmark(s: PillarBenchSettings) -> dict:
    """Everything in the module docstring, as a JSON-ready dict (torch's thread count restored after)."""
    from strl.detection.pointpillars import preset
    from strl.train.config import make_config

    cfg = preset(s.preset)
    overrides = {"detector_config": s.preset} | ({"num_points": s.points} if s.points else {})
    pretrain_cfg = make_config(s.pretrain_preset, **overrides)
    cuda = s.device.startswith("cuda")
    batch = s.batch_size or (cfg.optim.batch_size if cuda else 2)
    if batch < 2:
        raise ConfigError(f"--batch-size {batch}: the pre-training step needs at least 2 pairs (BatchNorm in BYOL's heads)")
    pretrain_cfg = pretrain_cfg.replace(batch_size=batch)
    bf16 = step_precision(StepSettings(device=s.device, precision=s.precision)) == "bf16-mixed"
    if not cuda:
        keep_freed_memory()  # as strl pretrain does on CPU
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        pillarize_rows = measure_pillarize(cfg, s.device, s.repeats)
        torch.set_num_threads(s.threads)
        result = {
            "settings": {**asdict(s), "batch_size": batch, "grid": list(cfg.grid_size[:2]), "anchors": cfg.num_anchors,
                         "precision": "bf16-mixed" if bf16 else "32-true", "sample": "one frame (detector), one pair (pre-training)"},
            "machine": describe_machine(s.device, s.threads),
            "pillarize_threads": 1,
            "pillarize": pillarize_rows,
            **measure_detector(cfg, batch, s, bf16),
            **measure_pretraining(pretrain_cfg, batch, s, bf16),
        }
        result["load_average_1min_end"] = describe_machine(s.device, s.threads)["load_average_1min"]
    finally:
        torch.set_num_threads(threads)
    return result


def format_pointpillars_report(r: dict) -> str:
    """A short human-readable summary of :func:`run_pointpillars_benchmark`'s result."""
    s, m = r["settings"], r["machine"]
    loads = [m.get("load_average_1min"), r.get("load_average_1min_end")]
    lines = [f"strl bench  preset={s['preset']} grid={s['grid'][0]}x{s['grid'][1]} batch={s['batch_size']} "
             f"threads={s['threads']} device={s['device']} ({s['precision']})",
             f"machine     {m['device_name']}, {m['cpu_cores']} cores, torch {m['torch_version']}, load "
             + " -> ".join("n/a" if x is None else f"{x:.2f}" for x in loads) + " (1-minute average, start -> end)"]
    for row in r["pillarize"]:
        lines.append(f"pillarize   {row['sweep']:7s} sweep of {row['points']} points, {row['mode']:5s} limit: {row['pillars']} "
                     f"pillars ({row['points_kept']} points kept) in {row['ms']:.1f} ms (CPU {row['cpu_ms']:.1f} ms), 1 thread")
    lines.append(f"detector    train {r['train_samples_per_s']:.3g} frames/s ({r['train_step_seconds']:.3g} s a step, "
                 f"CPU {r['train_step_cpu_seconds']:.3g} s); inference {r['inference_samples_per_s']:.3g} frames/s")
    lines.append(f"pre-train   {r['pretrain_pairs_per_s']:.3g} pairs/s ({s['pretrain_preset']}, BYOL, "
                 f"{r['pretrain_points_per_view']} points a view; {r['pretrain_step_seconds']:.3g} s a step, "
                 f"CPU {r['pretrain_step_cpu_seconds']:.3g} s)")
    return "\n".join(lines)

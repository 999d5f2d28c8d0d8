"""The whole speed benchmark: augmentation, data loading, training step, inference, memory.

Every comparison with the original is a ratio of two measurements taken in the same run (the
machine may be shared and noisy). Training configurations run one after the other, each in a fresh
process (peak memory is a per-process quantity on CPU). One "sample" is one pair of views.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from strl.bench.machine import describe_machine, matmul_gflops, synchronize
from strl.bench.train_step import StepSettings, example_clouds, measure, measure_in_subprocess, step_precision


@dataclass
class BenchSettings:
    """What to benchmark; ``batch_size``/``points`` default to the preset's."""

    preset: str = "dgcnn-cls"
    device: str = "cpu"
    batch_size: int | None = None
    points: int | None = None
    threads: int = 2
    steps: int = 2
    warmup: int = 1
    workers: int = 0
    compile: bool = False
    batched_views: bool = False
    original: bool = True
    subprocess: bool = True
    precision: str = "auto"  # strl's step: auto = as strl pretrain (bf16-mixed on GPU, 32-true on CPU)
    task: str = "pretrain"  # "pretrain" (presets of strl pretrain) or "classify" (presets of strl finetune classify)


def measure_augmentation(batch: int, num_points: int, steps: int, seed: int = 0) -> dict:
    """Pairs/s of the batched object pipeline (both views in one call) and of the original per-sample one.

    The two alternate, one batch each per round, so that a change of machine load during the
    measurement affects both alike.
    """
    from strl.bench.original_augment import original_object_pipeline

    raw = example_clouds(batch, num_points, seed, "cpu")
    rng = np.random.default_rng(seed)
    clouds = raw.numpy()
    ours_once = _batched_augmentation(raw, num_points, seed)
    ours_once()  # warm-up
    ours = original = 0.0
    for _ in range(steps):
        ours += ours_once()
        start = time.perf_counter()
        for cloud in clouds:
            original_object_pipeline(cloud, num_points, rng)
            original_object_pipeline(cloud, num_points, rng)
        original += time.perf_counter() - start
    return {"augment_pairs_per_s": batch * steps / ours, "augment_pairs_per_s_original": batch * steps / original}


def measure_device_augmentation(batch: int, num_points: int, steps: int, device: str, seed: int = 0) -> float:
    """Pairs/s of the batched object pipeline on ``device`` (as ``strl pretrain`` augments on a GPU)."""
    once = _batched_augmentation(example_clouds(batch, num_points, seed, device), num_points, seed)
    once()  # warm-up
    return batch * steps / sum(once() for _ in range(steps))


def _batched_augmentation(raw: torch.Tensor, num_points: int, seed: int):
    """A function that augments both views of ``raw`` ``(B, M, 3)`` once and returns the seconds it took."""
    from strl.transforms import AugmentConfig, augment

    cfg = AugmentConfig(num_points=num_points, pipeline="object")
    gen = torch.Generator(device=raw.device).manual_seed(seed)
    pair = torch.cat((raw, raw))

    def once() -> float:
        synchronize(raw.device)
        start = time.perf_counter()
        views = augment(pair, cfg, gen)
        synchronize(raw.device)
        assert views.shape == (pair.shape[0], num_points, 3)
        return time.perf_counter() - start

    return once


class _RawPairs(torch.utils.data.Dataset):
    """In-memory raw pairs ``{"a", "b", "key"}`` as the pair sampler yields them."""

    def __init__(self, clouds: torch.Tensor):
        self.clouds = clouds

    def __len__(self) -> int:
        return self.clouds.shape[0]

    def __getitem__(self, i: int) -> dict:
        return {"a": self.clouds[i], "b": self.clouds[i], "key": torch.tensor([0, 0, i])}


def measure_dataloader(batch: int, num_points: int, steps: int, workers: int, seed: int = 0) -> float:
    """Pairs/s of a ``DataLoader`` with the training collate (augmentation on the workers)."""
    from strl.train.augmenting import PairCollate
    from strl.transforms import AugmentConfig

    clouds = example_clouds(batch * (steps + 1), num_points, seed, "cpu")
    collate = PairCollate(AugmentConfig(num_points=num_points), on_worker=True)
    loader = torch.utils.data.DataLoader(_RawPairs(clouds), batch_size=batch, num_workers=workers, collate_fn=collate)
    it = iter(loader)
    next(it)  # warm-up (and worker start)
    start = time.perf_counter()
    n = 0
    for out in it:
        n += out["a"].shape[0]
    return n / (time.perf_counter() - start)


def _train(settings: BenchSettings, impl: str, batch: int, points: int) -> dict:
    step = StepSettings(impl=impl, preset=settings.preset, batch_size=batch, num_points=points, steps=settings.steps,
                        warmup=settings.warmup, threads=settings.threads, device=settings.device,
                        compile=settings.compile and impl == "strl",
                        batched_views=settings.batched_views and impl == "strl", precision=settings.precision,
                        task=settings.task)
    return measure_in_subprocess(step) if settings.subprocess else measure(step)


def run_benchmark(settings: BenchSettings) -> dict:
    """Run everything; returns the JSON-ready result (see the module docstring)."""
    threads = torch.get_num_threads()
    try:
        return _run(settings)
    finally:
        torch.set_num_threads(threads)


def preset_settings(settings: BenchSettings):
    """The pre-training or fine-tuning settings of the benchmarked preset."""
    if settings.task == "classify":
        from strl.tasks.classify import PRESETS, ClassifySettings

        return ClassifySettings.model_validate(PRESETS[settings.preset])
    from strl.train.config import make_config

    return make_config(settings.preset)


def _run(settings: BenchSettings) -> dict:
    from strl.backbones import resolve_k

    cfg = preset_settings(settings)
    batch = settings.batch_size or cfg.batch_size
    points = settings.points or cfg.num_points
    pretraining = settings.task == "pretrain"
    torch.set_num_threads(settings.threads)
    result: dict = {
        "settings": {**asdict(settings), "batch_size": batch, "points": points, "backbone": cfg.backbone,
                     "k": resolve_k(cfg.backbone, cfg.k or None), "emb_dims": cfg.emb_dims or 1024,
                     "sample": "one pair of views" if pretraining else "one cloud"},
        "machine": describe_machine(settings.device, settings.threads),
    }
    cuda = settings.device.startswith("cuda")
    bf16 = step_precision(StepSettings(device=settings.device, precision=settings.precision)) == "bf16-mixed"
    ceiling = [matmul_gflops(settings.device)]
    ceiling_bf16 = [matmul_gflops(settings.device, dtype=torch.bfloat16)] if bf16 else []
    if pretraining:
        result.update(measure_augmentation(batch, points, max(settings.steps, 1)))
        result["dataloader_pairs_per_s"] = measure_dataloader(batch, points, max(settings.steps, 1), settings.workers)
        if cuda:
            result["augment_pairs_per_s_device"] = measure_device_augmentation(batch, points, max(settings.steps, 1), settings.device)

    ours = _train(settings, "strl", batch, points)
    original = _train(settings, "original", batch, points) if settings.original else None
    ceiling.append(matmul_gflops(settings.device))
    result["matmul_gflops_per_s"] = max(ceiling)
    result["matmul_gflops_per_s_samples"] = ceiling
    if bf16:
        ceiling_bf16.append(matmul_gflops(settings.device, dtype=torch.bfloat16))
        result["matmul_gflops_per_s_bf16"] = max(ceiling_bf16)
    for suffix, run in (("", ours), ("_original", original)):
        run = run or {}
        result["train_precision" + suffix] = run.get("precision")
        result["train_samples_per_s" + suffix] = run.get("samples_per_s")
        result["train_step_seconds" + suffix] = run.get("step_seconds")
        result["train_phase_seconds" + suffix] = run.get("phase_seconds")
        result["first_step_seconds" + suffix] = run.get("first_step_seconds")
        result["inference_samples_per_s" + suffix] = run.get("inference_samples_per_s")
        result["flops_per_sample" + suffix] = run.get("flops_per_sample")
        result["train_gflops_per_s" + suffix] = run.get("gflops_per_s")
        result["train_fraction_of_matmul" + suffix] = run["gflops_per_s"] / result["matmul_gflops_per_s"] if run else None
        if bf16 and run:  # a mixed-precision step also against the bf16 ceiling (its products run in both)
            result["train_fraction_of_bf16_matmul" + suffix] = run["gflops_per_s"] / result["matmul_gflops_per_s_bf16"]
        result["peak_memory_bytes" + suffix] = run.get("peak_memory_bytes")
    if pretraining:
        result["augment_speedup"] = result["augment_pairs_per_s"] / result["augment_pairs_per_s_original"]
    if original:
        result["train_speedup"] = ours["samples_per_s"] / original["samples_per_s"]
        result["inference_speedup"] = ours["inference_samples_per_s"] / original["inference_samples_per_s"]
        result["memory_ratio"] = ours["peak_memory_bytes"] / max(original["peak_memory_bytes"], 1)
        # the original's FLOPs per second of our step time: how fast the same work gets done
        result["train_equivalent_gflops_per_s"] = original["flops_per_sample"] * ours["samples_per_s"] / 1e9
        result["train_equivalent_fraction_of_matmul"] = result["train_equivalent_gflops_per_s"] / result["matmul_gflops_per_s"]
    return result


def format_report(r: dict) -> str:
    """A short human-readable summary of :func:`run_benchmark`'s result."""
    s, m = r["settings"], r["machine"]
    unit = "pairs" if s.get("task", "pretrain") == "pretrain" else "samples"

    def num(x, fmt="{:.3g}"):
        return "n/a" if x is None else fmt.format(x)

    lines = [
        f"strl bench  task={s.get('task', 'pretrain')} preset={s['preset']} backbone={s['backbone']} k={s['k']} batch={s['batch_size']} "
        f"points={s['points']} threads={s['threads']} device={s['device']}",
        f"machine     {m['device_name']}, {m['cpu_cores']} cores, torch {m['torch_version']}, load {num(m['load_average_1min'])}",
        f"matmul      {num(r['matmul_gflops_per_s'])} GFLOP/s ceiling"
        + (f" (fp32), {num(r['matmul_gflops_per_s_bf16'])} (bf16)" if r.get("matmul_gflops_per_s_bf16") else ""),
        f"train       {num(r['train_samples_per_s'])} {unit}/s (original {num(r['train_samples_per_s_original'])}, "
        f"x{num(r.get('train_speedup'))})",
    ]
    if "augment_pairs_per_s" in r:
        lines.insert(3, f"augment     {num(r['augment_pairs_per_s'])} pairs/s (original {num(r['augment_pairs_per_s_original'])}, "
                        f"x{num(r['augment_speedup'])}); DataLoader {num(r['dataloader_pairs_per_s'])} pairs/s"
                        + (f"; on {s['device']} {num(r['augment_pairs_per_s_device'])} pairs/s" if r.get("augment_pairs_per_s_device") else ""))
    for suffix, name in (("", "strl"), ("_original", "original")):
        phases = r["train_phase_seconds" + suffix]
        if phases:
            split = ", ".join(f"{k} {v:.3g}s" for k, v in phases.items() if v or k != "ema")
            bf16 = r.get("train_fraction_of_bf16_matmul" + suffix)
            lines.append(f"  {name:9s} step {num(r['train_step_seconds' + suffix])}s ({r['train_precision' + suffix]}): {split}; "
                         f"{num(r['flops_per_sample' + suffix], '{:.4g}')} FLOP/{unit[:-1]}, "
                         f"{num(r['train_gflops_per_s' + suffix])} GFLOP/s "
                         f"({num(r['train_fraction_of_matmul' + suffix], '{:.1%}')} of matmul"
                         + (f", {bf16:.1%} of bf16" if bf16 else "") + "), "
                         f"peak {num((r['peak_memory_bytes' + suffix] or 0) / 2**20, '{:.0f}')} MiB")
    if r.get("train_equivalent_gflops_per_s") is not None:
        lines.append(f"  the original's FLOPs at strl's pace: {num(r['train_equivalent_gflops_per_s'])} GFLOP/s "
                     f"({num(r['train_equivalent_fraction_of_matmul'], '{:.1%}')} of matmul)")
    lines.append(f"inference   {num(r['inference_samples_per_s'])} samples/s (original {num(r['inference_samples_per_s_original'])})")
    if r.get("memory_ratio") is not None:
        lines.append(f"memory      {num(r['memory_ratio'], '{:.2f}')} of the original's peak")
    return "\n".join(lines)


def write_json(result: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

"""Time one pre-training configuration: strl's BYOL step or the original one, in a fresh process.

:func:`measure` runs in the current process; :func:`measure_in_subprocess` runs it in a new
interpreter (``python -m strl.bench.train_step SETTINGS_JSON``) so that the peak memory of one
configuration is not hidden by another's. Peak memory is, on CPU, the resident-set high-water mark
during the timed steps (``VmHWM``, reset first) less the resident size before them; on CUDA,
``max_memory_allocated`` less the allocation before them. Results are plain dicts of numbers.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from strl.bench.machine import synchronize
from strl.train.allocator import keep_freed_memory


@dataclass
class StepSettings:
    """One training configuration to time. ``impl``: ``"strl"`` or ``"original"``."""

    impl: str = "strl"
    preset: str = "dgcnn-cls"
    batch_size: int = 8
    num_points: int = 2048
    steps: int = 2
    warmup: int = 1
    threads: int = 2
    device: str = "cpu"
    compile: bool = False  # torch.compile the encoders (strl only)
    batched_views: bool = False  # strl only: both views in one forward (BatchNorm then sees 2B samples)
    flop_batch: int = 2  # the FLOPs are counted at this batch size and twice it
    seed: int = 0
    precision: str = "auto"  # strl: "auto" is what strl pretrain uses (bf16-mixed on GPU, else 32-true)
    task: str = "pretrain"  # "pretrain" (a pair per sample) or "classify" (fine-tuning step, preset of strl finetune)


def step_precision(s: StepSettings) -> str:
    """``"bf16-mixed"`` or ``"32-true"``: strl's step as ``strl pretrain`` runs it; the original's always in fp32."""
    if s.impl != "strl":
        return "32-true"
    if s.precision == "auto":
        return "bf16-mixed" if s.device.startswith("cuda") else "32-true"
    if s.precision not in ("bf16-mixed", "32-true"):
        raise ValueError(f"precision must be auto, bf16-mixed or 32-true, got {s.precision!r}")
    return s.precision


def example_clouds(batch: int, points: int, seed: int, device: str) -> torch.Tensor:
    """Noisy unit-sphere surface samples ``(B, N, 3)``: a stand-in batch of one view."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, points, 3, generator=gen)
    x = x / x.norm(dim=-1, keepdim=True) + 0.05 * torch.randn(batch, points, 3, generator=gen)
    return x.to(device)


class _PhaseTimer:
    """Wall time of named phases of a step, the device synchronised at the end of each."""

    def __init__(self, device: str):
        self.device, self.times = device, {}

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        yield
        synchronize(self.device)
        self.times[name] = time.perf_counter() - start


def _status_bytes(field: str) -> int | None:
    """``VmRSS``/``VmHWM`` of this process from ``/proc/self/status`` (Linux), else None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _start_peak_rss() -> int:
    """Current resident size, after resetting the peak (``clear_refs`` 5) where Linux allows it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        current = _status_bytes("VmRSS")
        if current is not None:
            return current
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _peak_rss() -> int:
    hwm = _status_bytes("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed_step(runner, a, b, device, optimizer) -> tuple["_PhaseTimer", torch.Tensor]:
    """Forward (``runner.loss``), backward and optimizer step, each timed; the timer and the loss."""
    timer = _PhaseTimer(device)
    with timer.phase("forward"):
        loss = runner.loss(a, b)
    with timer.phase("backward"):
        loss.backward()
    with timer.phase("optimizer"):
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return timer, loss


class _StrlRunner:
    """strl's step: the preset's method (BYOL: ``_foreach`` EMA after the step) and optimizer."""

    def __init__(self, s: StepSettings):
        from strl.train.config import make_config
        from strl.train.module import build_method
        from strl.train.optim import build_optimizer

        cfg = make_config(s.preset, batch_size=s.batch_size, num_points=s.num_points)
        self.method = build_method(cfg).to(s.device)
        if s.batched_views and cfg.method != "byol":
            raise ValueError("batched views are implemented for BYOL only")
        if s.compile:
            self.method.backbone = torch.compile(self.method.backbone)
            if hasattr(self.method, "target_backbone"):
                self.method.target_backbone = torch.compile(self.method.target_backbone)
        self.optimizer = build_optimizer(self.method.trainable_parameters(), cfg.optimizer, cfg.lr, cfg.weight_decay, cfg.momentum, cfg.lars)
        self.step_count = 0
        self.batched_views = s.batched_views
        self.device_type = torch.device(s.device).type
        self.bf16 = step_precision(s) == "bf16-mixed"

    def _cast(self):
        return torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.bf16)

    def loss(self, a, b):
        with self._cast():
            if not self.batched_views:
                return self.method.loss(a, b)[0]
            from strl.methods.losses import byol_loss

            q_a, q_b = self.method._online(torch.cat((a, b))).chunk(2)
            z_a, z_b = self.method._target(torch.cat((a, b))).chunk(2)
            return byol_loss(q_a, z_b) + byol_loss(q_b, z_a)

    def phases(self, a, b, device):
        timer, _ = timed_step(self, a, b, device, self.optimizer)
        with timer.phase("ema"):
            self.method.update_momentum(self.step_count, 1000)
        self.step_count += 1
        return timer.times

    def zero_grad(self):
        self.optimizer.zero_grad(set_to_none=True)

    def encoder(self):
        return self.method.backbone

    def encode(self, points):
        with self._cast():
            return self.method.backbone(points)


class _OriginalRunner:
    """The original step (:mod:`strl.bench.original_step`): EMA before backward and step."""

    def __init__(self, s: StepSettings):
        from strl.backbones import resolve_k
        from strl.bench.original_step import OriginalBYOL
        from strl.train.config import make_config

        cfg = make_config(s.preset, batch_size=s.batch_size, num_points=s.num_points)
        self.model = OriginalBYOL(cfg.backbone, resolve_k(cfg.backbone, cfg.k), cfg.emb_dims, cfg.hidden_dim, cfg.proj_dim, cfg.lr, cfg.weight_decay, cfg.tau0).to(s.device)

    def phases(self, a, b, device):
        timer = _PhaseTimer(device)
        with timer.phase("forward"):
            loss = self.model.forward_loss(a, b)
        with timer.phase("ema"):  # the original's order: EMA before backward and step
            self.model.ema()
        with timer.phase("backward"):
            loss.backward()
        with timer.phase("optimizer"):
            self.model.optimizer_step()
        return timer.times

    def loss(self, a, b):
        return self.model.forward_loss(a, b)

    def zero_grad(self):
        self.model.optimizer.zero_grad()

    def encoder(self):
        return self.model.online_network.encoder

    def encode(self, points):
        return self.model.encode(points)


class _ClassifyRunner:
    """A fine-tuning step of DGCNN classification (:mod:`strl.bench.original_finetune_step`): strl's
    Classifier around the fused DGCNN, or the reference model; SGD, smoothed cross-entropy. Uses the
    first view of each pair as the sample, with labels ``0..B-1 mod classes``."""

    def __init__(self, s: StepSettings):
        from strl.bench.original_finetune_step import original_classification_step, strl_classification_step
        from strl.tasks.classify import PRESETS, ClassifySettings

        cfg = ClassifySettings.model_validate(PRESETS[s.preset])
        k, self.classes = cfg.k or 20, 40
        if s.impl == "strl":
            cast = torch.bfloat16 if step_precision(s) == "bf16-mixed" else None
            self.step = strl_classification_step(k, cfg.emb_dims or 1024, self.classes, autocast=cast)
        else:
            self.step = original_classification_step(k, cfg.emb_dims or 1024, self.classes)
        self.step.model.to(s.device)

    def _labels(self, a):
        return torch.arange(a.shape[0], device=a.device) % self.classes

    def loss(self, a, b):
        return self.step.loss(a, self._labels(a))

    def phases(self, a, b, device):
        timer, loss = timed_step(self, a, b, device, self.step.optimizer)
        loss.item()  # the reference loop reads the loss back every step
        return timer.times

    def zero_grad(self):
        self.step.optimizer.zero_grad()

    def encoder(self):
        return self.step.model

    def encode(self, points):
        with self.step._cast(points.device.type):
            return self.step.logits(points)


def _runner(s: StepSettings):
    if s.task == "classify":
        return _ClassifyRunner(s)
    return (_StrlRunner if s.impl == "strl" else _OriginalRunner)(s)


def _step_flops(runner, s: StepSettings, batch: int) -> float:
    a = example_clouds(batch, s.num_points, s.seed + 10, s.device)
    b = example_clouds(batch, s.num_points, s.seed + 11, s.device)
    counter = FlopCounterMode(display=False)
    with counter:
        runner.loss(a, b).backward()
    runner.zero_grad()
    return float(counter.get_total_flops())


def flops_per_sample(runner, s: StepSettings) -> float:
    """Forward + backward FLOPs per pair of one training step at batch ``s.batch_size`` (``FlopCounterMode``).

    A step's FLOPs are ``per_batch + per_pair * B`` (e.g. projecting BatchNorm statistics through a
    layer's weight costs the same at any batch size), so they are counted at batches ``n`` and ``2n``
    (``n = flop_batch``) and extrapolated to the step's batch size.
    """
    n = max(2, s.flop_batch)
    small, large = _step_flops(runner, s, n), _step_flops(runner, s, 2 * n)
    per_pair = (large - small) / n
    per_batch = small - per_pair * n
    return per_pair + per_batch / s.batch_size


def measure(s: StepSettings) -> dict:
    """Time ``s.steps`` training steps after ``s.warmup``; inference; peak memory; FLOPs per pair."""
    torch.set_num_threads(s.threads)
    torch.manual_seed(s.seed)
    kept = False if s.device.startswith("cuda") else keep_freed_memory()  # as strl pretrain does on CPU;
    # for both implementations, so that ratios compare the algorithms
    runner = _runner(s)
    a = example_clouds(s.batch_size, s.num_points, s.seed, s.device)
    b = example_clouds(s.batch_size, s.num_points, s.seed + 1, s.device)
    cuda = s.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base_mem = torch.cuda.memory_allocated()
    else:
        base_mem = _start_peak_rss()
    warm = []
    for _ in range(s.warmup):
        start = time.perf_counter()
        runner.phases(a, b, s.device)
        warm.append(time.perf_counter() - start)
    phases = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0, "ema": 0.0}
    for _ in range(s.steps):
        for name, seconds in runner.phases(a, b, s.device).items():
            phases[name] += seconds
    step_seconds = sum(phases.values()) / s.steps
    peak = (torch.cuda.max_memory_allocated() if cuda else _peak_rss()) - base_mem

    encoder = runner.encoder()
    encoder.eval()
    with torch.inference_mode():
        runner.encode(a)  # warm-up
        synchronize(s.device)
        start = time.perf_counter()
        for _ in range(s.steps):
            runner.encode(a)
        synchronize(s.device)
        inference_seconds = (time.perf_counter() - start) / s.steps
    encoder.train()
    flops = flops_per_sample(runner, s)
    return {
        "samples_per_s": s.batch_size / step_seconds,
        "step_seconds": step_seconds,
        "phase_seconds": {name: value / s.steps for name, value in phases.items()},
        "first_step_seconds": warm[0] if warm else None,
        "inference_samples_per_s": s.batch_size / inference_seconds,
        "peak_memory_bytes": int(peak),
        "flops_per_sample": flops,
        "gflops_per_s": flops * s.batch_size / step_seconds / 1e9,
        "keeps_freed_memory": kept,
        "precision": step_precision(s),
    }


def measure_in_subprocess(s: StepSettings, timeout: float | None = None) -> dict:
    """:func:`measure` in a fresh Python process (so its peak memory is its own)."""
    proc = subprocess.run(
        [sys.executable, "-m", "strl.bench.train_step", json.dumps(asdict(s))],
        capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark of {s.impl} {s.preset} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(measure(StepSettings(**json.loads(sys.argv[1])))))

"""Batching pairs and applying the batched spatial augmentation, on workers or on the device.

The augmentation of a batch draws from a generator seeded by the batch's item keys
``(seed, epoch, index)``, so the result is the same wherever it runs.
"""

from __future__ import annotations

import hashlib

import torch

from strl.errors import StrlError
from strl.train.bad_samples import batch_problems
from strl.transforms.config import AugmentConfig


def augment_config(cfg) -> AugmentConfig:
    """The spatial augmentation a pre-training configuration asks for; the lidar pipeline of a
    ``pointpillars`` encoder keeps the points inside its detector's point-cloud range."""
    lidar_range = None
    if cfg.augment == "lidar" and cfg.backbone == "pointpillars":
        from strl.detection.pointpillars.config import preset

        lidar_range = preset(cfg.detector_config or "pointpillars-kitti").point_cloud_range
    return AugmentConfig(num_points=cfg.num_points, pipeline=cfg.augment,
                         rotate_up_p=1.0 if cfg.rotate_up else 0.0, up_axis=cfg.up_axis, lidar_range=lidar_range)


def batch_seed(keys: torch.Tensor) -> int:
    """A 63-bit seed from the ``(B, 3)`` int64 item keys of a batch: a BLAKE2b hash of the keys
    in batch order, so batches of other items (or the same items in another order) get unrelated
    seeds."""
    data = keys.detach().to("cpu", torch.int64).contiguous().numpy().astype("<i8").tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") >> 1


def augment_pairs(batch: dict[str, torch.Tensor], cfg: AugmentConfig) -> dict[str, torch.Tensor]:
    """Augment both views of a raw batch: ``a, b (B, M, 3) -> (B, num_points, 3)`` each."""
    from strl.transforms.pipeline import augment

    a, b = batch["a"], batch["b"]
    gen = torch.Generator(device=a.device).manual_seed(batch_seed(batch["key"]))
    views = augment(torch.cat((a, b)), cfg, gen)
    return {"a": views[: a.shape[0]], "b": views[a.shape[0] :], "key": batch["key"], "augmented": True}


class PairCollate:
    """Stacks pair items; augments the batch right away when ``on_worker`` (CPU training).

    Items that could not be read (see :mod:`strl.train.bad_samples`) make the batch
    ``{"error": exc}``, and replaced ones are listed in ``batch["bad_samples"]``; a strl error of
    the augmentation is handed on the same way, so it reaches the main process as itself.
    """

    def __init__(self, cfg: AugmentConfig, on_worker: bool):
        self.cfg = cfg
        self.on_worker = on_worker

    def __call__(self, items: list[dict[str, torch.Tensor]]) -> dict:
        problems = batch_problems(items)
        if problems is not None and "error" in problems:
            return problems
        batch = {name: torch.stack([item[name] for item in items]) for name in ("a", "b", "key")}
        try:
            batch = augment_pairs(batch, self.cfg) if self.on_worker else batch
        except StrlError as exc:
            return {"error": exc}
        return {**batch, **(problems or {})}

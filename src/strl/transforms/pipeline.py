"""Named augmentation pipelines (object, scene, lidar) built from an :class:`AugmentConfig`, and :func:`augment`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from strl.errors import DataError
from strl.transforms.boxes import RandomCrop, RandomCutout
from strl.transforms.config import AugmentConfig
from strl.transforms.geometric import Jitter, Normalize, RotatePerturbation, Scale, Translate
from strl.transforms.lidar import BoxDropout, Flip, RangeCrop, Resample, Shift
from strl.transforms.masked import Step
from strl.transforms.resample import InputDropout, RandomSubset, Upsample
from strl.transforms.up_rotation import RotateUp


def _upsample(cfg: AugmentConfig) -> Step:
    target = cfg.upsample_factor * cfg.num_points
    # the object pipeline grows every cloud below the target; the scene pipeline only clouds
    # that could not otherwise give num_points points
    min_points = None if cfg.pipeline == "object" else cfg.num_points
    return Upsample(target, min_points, cfg.upsample_k, cfg.upsample_nsample, cfg.upsample_knn)


STEP_FACTORIES: dict[str, Callable[[AugmentConfig], Step]] = {
    "upsample": _upsample,
    "crop": lambda c: RandomCrop(c.num_points, c.crop_side, c.crop_aspect, c.crop_tries, c.crop_p),
    "normalize": lambda c: Normalize(),
    "cutout": lambda c: RandomCutout(c.num_points, c.cutout_ratio, c.cutout_tries, c.cutout_p),
    "scale": lambda c: Scale(*c.scale_range, p=c.scale_p),
    "rotate_up": lambda c: RotateUp(c.up_axis, c.rotate_up_p),
    "rotate": lambda c: RotatePerturbation(c.rotate_sigma, c.rotate_clip, c.rotate_p),
    "translate": lambda c: Translate(c.translate_range, c.translate_p),
    "jitter": lambda c: Jitter(c.jitter_std, c.jitter_clip, c.jitter_p),
    "dropout": lambda c: InputDropout(c.dropout_max_ratio, c.dropout_p),
    "subset": lambda c: RandomSubset(c.num_points),
    # the lidar pipeline (metres, z up)
    "world_flip": lambda c: Flip(axis=1, p=c.world_flip_p),
    "world_rotate": lambda c: RotateUp(axis=2, low=-c.world_rotation, high=c.world_rotation),
    "world_scale": lambda c: Scale(*c.world_scale_range),
    "world_translate": lambda c: Shift(c.world_translate_std),
    "range_crop": lambda c: RangeCrop(c.lidar_range),
    "box_dropout": lambda c: BoxDropout(c.box_dropout_boxes, c.box_dropout_size, c.box_dropout_keep, c.box_dropout_p),
    "resample": lambda c: Resample(c.num_points),
}


@dataclass(frozen=True)
class Pipeline:
    """An ordered list of ``(name, step)``; calling it runs the steps in turn."""

    steps: tuple[tuple[str, Step], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    def __call__(
        self, points: torch.Tensor, mask: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        for _, step in self.steps:
            points, mask = step(points, mask, gen)
        return points, mask


def build_pipeline(cfg: AugmentConfig) -> Pipeline:
    """The steps of ``cfg.pipeline`` in order, without those in ``cfg.disabled``."""
    return Pipeline(tuple((name, STEP_FACTORIES[name](cfg)) for name in cfg.steps()))


def augment(points: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Augment a batch of clouds: ``(B, N, 3)`` -> ``(B, cfg.num_points, 3)`` float32.

    Every random draw comes from ``gen``, which must live on the device of ``points``; the
    input is not modified. Each cloud is augmented independently. Clouds that appear more than
    once in the batch (two views of one cloud) share the up-sampling neighbour search, so
    augmenting both views in one call is faster than two calls (see :func:`augment_pair`).
    """
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or points.shape[-1] != 3:
        shape = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise DataError(None, f"points must be a (B, N, 3) tensor, got shape {shape}")
    if not points.is_floating_point():
        raise DataError(None, f"points must be floating point, got {points.dtype}")
    if points.shape[0] == 0 or points.shape[1] == 0:
        raise DataError(None, f"empty batch or empty clouds: shape {tuple(points.shape)}")
    if not bool(torch.isfinite(points).all()):
        raise DataError(None, "points hold NaN or infinite values")
    if gen.device.type != points.device.type:
        raise ValueError(f"generator is on {gen.device}, points on {points.device}")
    points = points.float()
    mask = torch.ones(points.shape[:2], dtype=torch.bool, device=points.device)
    out, _ = build_pipeline(cfg)(points, mask, gen)
    return out


def augment_pair(
    first: torch.Tensor, second: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two views ``(B, N, 3)`` each -> two ``(B, cfg.num_points, 3)`` batches, in one pass.

    ``first`` and ``second`` may be the same tensor (two views of each cloud) or two frames.
    """
    out = augment(torch.cat([first, second]), cfg, gen)
    return out[: first.shape[0]], out[first.shape[0] :]

"""A random rotation about the up axis: a full turn (the original had one, switched off), or a
bounded one (the LiDAR pipeline's global rotation)."""

from __future__ import annotations

from dataclasses import dataclass

import math

import torch

from strl.transforms.geometric import SampleStep, rotation_zyx
from strl.transforms.masked import uniform


@dataclass(frozen=True)
class RotateUp(SampleStep):
    """Rotate each sample by an angle ``U(low, high)`` (default ``U(0, 2 pi)``) about axis ``axis``
    (0 x, 1 y, 2 z), with probability p."""

    axis: int = 1
    p: float = 1.0
    low: float = 0.0
    high: float = 2 * math.pi

    def change(self, points, mask, gen):
        angles = torch.zeros(points.shape[0], 3, dtype=points.dtype, device=points.device)
        angles[:, self.axis] = uniform(gen, (points.shape[0],), self.low, self.high, points)
        return points @ rotation_zyx(angles).transpose(1, 2)

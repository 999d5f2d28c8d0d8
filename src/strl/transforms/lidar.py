"""Steps of the ``lidar`` pipeline: views stay in metres in the LiDAR frame (x forward, y left, z up).

The object and scene pipelines centre each view and scale it into the unit sphere; a PointPillars
encoder's pillar grid is in metres in front of the sensor, so the LiDAR pipeline only moves views
by OpenPCDet-style global transforms (flip, rotation about z, scaling, a small shift), keeps the
points inside the detector's range, drops the points of a few random boxes and draws the view's
points. The global rotation and scaling are :class:`~strl.transforms.up_rotation.RotateUp` and
:class:`~strl.transforms.geometric.Scale`; the jitter is :class:`~strl.transforms.geometric.Jitter`.

Each step maps ``points (B, M, 3), mask (B, M)`` to new tensors, vectorised over the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.errors import DataError
from strl.transforms.geometric import SampleStep
from strl.transforms.masked import coin, gather_points, normal, random_valid_points, uniform, valid_count, where_samples


@dataclass(frozen=True)
class Flip(SampleStep):
    """Negate coordinate ``axis`` with probability p (axis 1: OpenPCDet's ``random_flip_along_x``, y -> -y)."""

    axis: int = 1
    p: float = 0.5

    def change(self, points, mask, gen):
        sign = torch.ones(3, dtype=points.dtype, device=points.device)
        sign[self.axis] = -1.0
        return points * sign


@dataclass(frozen=True)
class Shift(SampleStep):
    """Translate each sample by ``N(0, std^2)`` metres per axis (OpenPCDet's ``random_world_translation``)."""

    std: float = 0.2
    p: float = 1.0

    def change(self, points, mask, gen):
        return points + self.std * normal(gen, (points.shape[0], 1, 3), points)


@dataclass(frozen=True)
class RangeCrop:
    """Keep the valid points inside ``bounds`` ``(x_min, y_min, z_min, x_max, y_max, z_max)`` (the
    detector's point-cloud range, min inclusive, max exclusive as its pillarisation). A sample with
    no point inside keeps all its points (its view then lies outside the range)."""

    bounds: tuple[float, ...]

    def __call__(self, points, mask, gen):
        lo = points.new_tensor(self.bounds[:3])
        hi = points.new_tensor(self.bounds[3:])
        inside = mask & ((points >= lo) & (points < hi)).all(dim=-1)
        return points, where_samples(inside.any(dim=1), inside, mask)


@dataclass(frozen=True)
class BoxDropout:
    """Drop the points of ``boxes`` random vertical boxes (all heights) per sample, with probability p.

    Each box is centred on a random valid point, its x and y sides drawn from ``U(size)`` metres.
    A sample keeps its points when fewer than ``keep`` of them (a fraction) would be left.
    """

    boxes: int = 2
    size: tuple[float, float] = (2.0, 6.0)
    keep: float = 0.5
    p: float = 0.5

    def __call__(self, points, mask, gen):
        b = points.shape[0]
        apply = coin(gen, b, self.p, points)
        centre = gather_points(points, random_valid_points(gen, mask, self.boxes, points))[..., :2]  # (B, K, 2)
        half = uniform(gen, (b, self.boxes, 2), *self.size, points) / 2
        offset = (points[:, :, None, :2] - centre[:, None]).abs()  # (B, M, K, 2)
        inside = (offset < half[:, None]).all(dim=-1).any(dim=-1) & mask
        n = valid_count(mask)
        left = n - inside.sum(dim=1)
        accepted = apply & (left > 0) & (left >= self.keep * n)
        return points, where_samples(accepted, mask & ~inside, mask)


@dataclass(frozen=True)
class Resample:
    """``num_points`` valid points per cloud: a random subset (random order) when it holds that many,
    else all of them followed by random repeats. Returns ``(B, num_points, 3)`` and an all-true mask."""

    num_points: int

    def __call__(self, points, mask, gen):
        b, m = mask.shape
        n = valid_count(mask)
        if bool((n == 0).any()):
            raise DataError(None, "a cloud has no point left to resample")
        keys = torch.rand(mask.shape, generator=gen, device=points.device).masked_fill(~mask, 2.0)
        order = keys.topk(min(self.num_points, m), dim=1, largest=False).indices  # valid first, random order
        if self.num_points > m:
            order = torch.cat([order, order.new_zeros(b, self.num_points - m)], dim=1)
        repeats = random_valid_points(gen, mask, self.num_points, points)
        slot = torch.arange(self.num_points, device=points.device).unsqueeze(0)
        idx = torch.where(slot < n.unsqueeze(1), order, repeats)
        return gather_points(points, idx), torch.ones(idx.shape, dtype=torch.bool, device=mask.device)

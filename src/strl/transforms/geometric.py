"""Per-sample geometric steps: normalise, scale, small rotation, translation, jitter.

Each step maps ``points (B, M, 3), mask (B, M)`` to new tensors; the mask is returned unchanged.
Statistics (centroid, bounding box) use the valid points only. The random steps change each
sample with probability ``p`` (:class:`SampleStep`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.transforms.masked import coin, normal, uniform, valid_bbox, valid_count, where_samples


@dataclass(frozen=True)
class Normalize:
    """Centre on the centroid of the valid points and divide by their largest radius."""

    def __call__(self, points, mask, gen):
        m = mask.unsqueeze(-1)
        n = valid_count(mask).clamp_min(1).to(points.dtype)
        centroid = torch.where(m, points, 0.0).sum(dim=1) / n.unsqueeze(-1)
        centred = points - centroid.unsqueeze(1)
        radius = torch.where(mask, centred.norm(dim=-1), 0.0).amax(dim=1)
        radius = torch.where(radius > 0, radius, torch.ones_like(radius))
        return centred / radius.view(-1, 1, 1), mask


class SampleStep:
    """A step that changes each sample with probability ``p``; the others keep their points.

    Subclasses (frozen dataclasses with a ``p`` field) define ``change(points, mask, gen)``: the
    points of every sample changed. The coin of each sample is drawn before ``change`` draws.
    """

    p: float

    def change(self, points: torch.Tensor, mask: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, points, mask, gen):
        apply = coin(gen, points.shape[0], self.p, points)
        return where_samples(apply, self.change(points, mask, gen), points), mask


@dataclass(frozen=True)
class Scale(SampleStep):
    """Multiply each sample by one factor ``U(low, high)`` about the origin, with probability p."""

    low: float = 0.8
    high: float = 1.25
    p: float = 1.0

    def change(self, points, mask, gen):
        factor = uniform(gen, (points.shape[0],), self.low, self.high, points)
        return points * factor.view(-1, 1, 1)


def rotation_zyx(angles: torch.Tensor) -> torch.Tensor:
    """``(B, 3)`` angles about x, y, z -> ``(B, 3, 3)`` matrices ``Rz @ Ry @ Rx``."""
    c, s = angles.cos(), angles.sin()
    one, zero = torch.ones_like(c[:, 0]), torch.zeros_like(c[:, 0])

    def mat(rows):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)

    rx = mat([[one, zero, zero], [zero, c[:, 0], -s[:, 0]], [zero, s[:, 0], c[:, 0]]])
    ry = mat([[c[:, 1], zero, s[:, 1]], [zero, one, zero], [-s[:, 1], zero, c[:, 1]]])
    rz = mat([[c[:, 2], -s[:, 2], zero], [s[:, 2], c[:, 2], zero], [zero, zero, one]])
    return rz @ ry @ rx


@dataclass(frozen=True)
class RotatePerturbation(SampleStep):
    """Rotate by angles ``clip(sigma * N(0, 1), +-clip)`` about x, y, z: ``pts @ (Rz Ry Rx)^T``."""

    sigma: float = 0.06
    clip: float = 0.18
    p: float = 1.0

    def change(self, points, mask, gen):
        angles = (self.sigma * normal(gen, (points.shape[0], 3), points)).clamp(-self.clip, self.clip)
        return points @ rotation_zyx(angles).transpose(1, 2)


@dataclass(frozen=True)
class Translate(SampleStep):
    """Shift by ``U(-range, range)`` times the bounding-box extent, per axis."""

    range: float = 0.1
    p: float = 1.0

    def change(self, points, mask, gen):
        shift = uniform(gen, (points.shape[0], 3), -self.range, self.range, points)
        lo, hi = valid_bbox(points, mask)
        return points + (shift * (hi - lo)).unsqueeze(1)


@dataclass(frozen=True)
class Jitter(SampleStep):
    """Add per-coordinate noise ``N(0, std^2)`` clipped to ``+-clip``."""

    std: float = 0.01
    clip: float = 0.05
    p: float = 1.0

    def change(self, points, mask, gen):
        noise = (self.std * normal(gen, tuple(points.shape), points)).clamp(-self.clip, self.clip)
        return points + noise

"""Per-sample geometric steps: normalise, scale, small rotation, translation, jitter.

Each step maps ``points (B, M, 3), mask (B, M)`` to new tensors; the mask is returned unchanged.
Statistics (centroid, bounding box) use the valid points only.
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


@dataclass(frozen=True)
class Scale:
    """Multiply each sample by one factor ``U(low, high)`` about the origin, with probability p."""

    low: float = 0.8
    high: float = 1.25
    p: float = 1.0

    def __call__(self, points, mask, gen):
        b = points.shape[0]
        apply = coin(gen, b, self.p, points)
        factor = uniform(gen, (b,), self.low, self.high, points)
        factor = torch.where(apply, factor, torch.ones_like(factor))
        return points * factor.view(-1, 1, 1), mask


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
class RotatePerturbation:
    """Rotate by angles ``clip(sigma * N(0, 1), +-clip)`` about x, y, z: ``pts @ (Rz Ry Rx)^T``."""

    sigma: float = 0.06
    clip: float = 0.18
    p: float = 1.0

    def __call__(self, points, mask, gen):
        b = points.shape[0]
        apply = coin(gen, b, self.p, points)
        angles = (self.sigma * normal(gen, (b, 3), points)).clamp(-self.clip, self.clip)
        angles = where_samples(apply, angles, torch.zeros_like(angles))
        return points @ rotation_zyx(angles).transpose(1, 2), mask


@dataclass(frozen=True)
class Translate:
    """Shift by ``U(-range, range)`` times the bounding-box extent, per axis."""

    range: float = 0.1
    p: float = 1.0

    def __call__(self, points, mask, gen):
        b = points.shape[0]
        apply = coin(gen, b, self.p, points)
        shift = uniform(gen, (b, 3), -self.range, self.range, points)
        lo, hi = valid_bbox(points, mask)
        shift = where_samples(apply, shift * (hi - lo), torch.zeros_like(shift))
        return points + shift.unsqueeze(1), mask


@dataclass(frozen=True)
class Jitter:
    """Add per-coordinate noise ``N(0, std^2)`` clipped to ``+-clip``."""

    std: float = 0.01
    clip: float = 0.05
    p: float = 1.0

    def __call__(self, points, mask, gen):
        apply = coin(gen, points.shape[0], self.p, points)
        noise = (self.std * normal(gen, tuple(points.shape), points)).clamp(-self.clip, self.clip)
        return where_samples(apply, points + noise, points), mask

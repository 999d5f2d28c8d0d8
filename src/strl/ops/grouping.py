"""Gathering and grouping of channel-first features by point indices (differentiable)."""

from __future__ import annotations

import torch

from strl.ops.ball_query import ball_query


def gather_points(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Pick points by index: ``(B, C, N), (B, m) -> (B, C, m)``; the gradient is a scatter-add."""
    b, c, _ = features.shape
    return features.gather(2, idx.long()[:, None, :].expand(b, c, idx.shape[1]))


def group_points(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Group points by index: ``(B, C, N), (B, m, ns) -> (B, C, m, ns)``; gradient is a scatter-add."""
    b, m, ns = idx.shape
    return gather_points(features, idx.reshape(b, m * ns)).reshape(b, features.shape[1], m, ns)


def query_and_group(
    xyz: torch.Tensor,
    new_xyz: torch.Tensor,
    features: torch.Tensor | None,
    radius: float,
    nsample: int,
    normalize_xyz: bool = True,
) -> torch.Tensor:
    """Ball-query neighbourhoods with relative coordinates first: ``(B, 3 + C, m, nsample)``.

    xyz: ``(B, N, 3)`` points; new_xyz: ``(B, m, 3)`` centres; features: ``(B, C, N)`` or None.
    Channels 0-2 are neighbour minus centre coordinates, divided by ``radius`` when
    ``normalize_xyz``; the grouped features follow (the original's ``use_xyz=True``).
    """
    idx = ball_query(new_xyz, xyz, radius, nsample)
    offsets = group_points(xyz.transpose(1, 2), idx) - new_xyz.transpose(1, 2).unsqueeze(-1)
    if normalize_xyz:
        offsets = offsets / radius
    if features is None:
        return offsets
    return torch.cat([offsets, group_points(features, idx)], dim=1)

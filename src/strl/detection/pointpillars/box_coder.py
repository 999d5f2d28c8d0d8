"""OpenPCDet's ``ResidualCoder`` (7 values, plain angle difference) and the direction-bin rules."""

from __future__ import annotations

import math

import torch

from strl.geometry.boxes import limit_period


def encode_boxes(boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Residuals ``(..., 7)`` of boxes ``(..., 7)`` against anchors ``(..., 7)``.

    Centre offsets in x and y are divided by the anchor's BEV diagonal ``sqrt(dx^2 + dy^2)``, in z by
    its ``dz``; sizes are log ratios (both sizes clamped to >= 1e-5); the heading is the plain difference.
    """
    box_size = boxes[..., 3:6].clamp(min=1e-5)
    anchor_size = anchors[..., 3:6].clamp(min=1e-5)
    diagonal = torch.sqrt(anchor_size[..., 0] ** 2 + anchor_size[..., 1] ** 2)
    scale = torch.stack([diagonal, diagonal, anchor_size[..., 2]], dim=-1)
    return torch.cat(
        [
            (boxes[..., 0:3] - anchors[..., 0:3]) / scale,
            torch.log(box_size / anchor_size),
            (boxes[..., 6] - anchors[..., 6]).unsqueeze(-1),
        ],
        dim=-1,
    )


def decode_boxes(residuals: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`encode_boxes`: residuals ``(..., 7)`` on anchors ``(..., 7)`` -> boxes ``(..., 7)``."""
    anchor_size = anchors[..., 3:6].clamp(min=1e-5)
    diagonal = torch.sqrt(anchor_size[..., 0] ** 2 + anchor_size[..., 1] ** 2)
    scale = torch.stack([diagonal, diagonal, anchor_size[..., 2]], dim=-1)
    return torch.cat(
        [
            residuals[..., 0:3] * scale + anchors[..., 0:3],
            torch.exp(residuals[..., 3:6]) * anchor_size,
            (residuals[..., 6] + anchors[..., 6]).unsqueeze(-1),
        ],
        dim=-1,
    )


def direction_targets(headings: torch.Tensor, offset: float, num_bins: int) -> torch.Tensor:
    """Direction bin ``floor(limit_period(heading - offset, 0, 2 pi) / (2 pi / bins))`` (int64, clamped to the bins)."""
    shifted = limit_period(headings - offset, 0.0, 2 * math.pi)
    return torch.floor(shifted / (2 * math.pi / num_bins)).long().clamp(0, num_bins - 1)


def apply_direction(headings: torch.Tensor, bins: torch.Tensor, offset: float, limit_offset: float, num_bins: int) -> torch.Tensor:
    """Decoded heading: ``limit_period(heading - offset, limit_offset, period) + offset + period * bin``, period = 2 pi / bins."""
    period = 2 * math.pi / num_bins
    return limit_period(headings - offset, limit_offset, period) + offset + period * bins.to(headings.dtype)

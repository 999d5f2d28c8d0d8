"""Heading bins and size clusters: a box's heading and size as (class, residual) and back.

As VoteNet's ``angle2class`` / ``class2angle`` / ``size2class`` / ``class2size``, on tensors of
any shape. Headings are in radians; bin ``k`` covers ``[k·w - w/2, k·w + w/2)`` with
``w = 2π / num_bins``, so the residual lies in ``[-w/2, w/2)``.
"""

from __future__ import annotations

import math

import torch


def heading_bin_width(num_bins: int) -> float:
    return 2 * math.pi / num_bins


def encode_heading(angle: torch.Tensor, num_bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Angles ``(...)`` -> bin ``(...)`` int64 and residual ``(...)`` in radians (same dtype as ``angle``)."""
    width = heading_bin_width(num_bins)
    shifted = torch.remainder(torch.remainder(angle, 2 * math.pi) + width / 2, 2 * math.pi)
    bins = torch.floor(shifted / width).long().clamp_(0, num_bins - 1)
    residual = shifted - (bins.to(angle.dtype) * width + width / 2)
    return bins, residual


def decode_heading(bins: torch.Tensor, residual: torch.Tensor, num_bins: int) -> torch.Tensor:
    """Bin ``(...)`` and residual ``(...)`` -> angle ``(...)``, wrapped to ``(-π, π]`` as VoteNet's label format."""
    angle = bins.to(residual.dtype) * heading_bin_width(num_bins) + residual
    return torch.where(angle > math.pi, angle - 2 * math.pi, angle)


def encode_size(sizes: torch.Tensor, size_class: torch.Tensor, mean_sizes: torch.Tensor) -> torch.Tensor:
    """Full sizes ``(..., 3)`` of boxes of cluster ``size_class (...)`` -> residuals ``(..., 3)``.

    ``mean_sizes`` is ``(NS, 3)``; the residual is the size minus its cluster's mean size.
    """
    return sizes - mean_sizes.to(sizes)[size_class]


def decode_size(size_class: torch.Tensor, residual: torch.Tensor, mean_sizes: torch.Tensor) -> torch.Tensor:
    """Cluster ``(...)`` and residual ``(..., 3)`` -> full sizes ``(..., 3)``: mean size plus residual."""
    return mean_sizes.to(residual)[size_class] + residual

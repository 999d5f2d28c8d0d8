"""Helpers for batched clouds with a validity mask, and seeded random draws.

A batch is ``points`` ``(B, M, 3)`` with ``mask`` ``(B, M)`` bool; only points where the mask is
true belong to the cloud. Every step is ``step(points, mask, gen) -> (points, mask)`` and never
modifies its inputs.
"""

from __future__ import annotations

from typing import Callable

import torch

Step = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def uniform(
    gen: torch.Generator, shape: tuple[int, ...], low, high, like: torch.Tensor
) -> torch.Tensor:
    """``U(low, high)`` samples of ``shape`` (``low``/``high`` may be broadcastable tensors)."""
    u = torch.rand(shape, generator=gen, device=like.device, dtype=like.dtype)
    return low + (high - low) * u


def normal(gen: torch.Generator, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """Standard normal samples of ``shape``."""
    return torch.randn(shape, generator=gen, device=like.device, dtype=like.dtype)


def coin(gen: torch.Generator, batch: int, p: float, like: torch.Tensor) -> torch.Tensor:
    """``(B,)`` bool: which samples a step with probability ``p`` applies to."""
    return torch.rand(batch, generator=gen, device=like.device) < p


def valid_count(mask: torch.Tensor) -> torch.Tensor:
    """``(B, M) -> (B,)`` int64 number of valid points."""
    return mask.sum(dim=1)


def valid_bbox(points: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Axis-aligned bounding box of the valid points: two ``(B, 3)`` tensors (min, max).

    A sample without valid points gets the empty box at the origin.
    """
    if bool(mask.all()):
        return torch.aminmax(points, dim=1)
    # invalid slots take the first valid point's coordinates, which leaves the box unchanged
    first = gather_points(points, first_valid(mask).unsqueeze(1))
    lo, hi = torch.aminmax(torch.where(mask.unsqueeze(-1), points, first), dim=1)
    empty = ~mask.any(dim=1, keepdim=True)
    return lo.masked_fill(empty, 0.0), hi.masked_fill(empty, 0.0)


def first_valid(mask: torch.Tensor) -> torch.Tensor:
    """``(B,)`` index of the first valid point of each sample (0 if there is none)."""
    return mask.to(torch.uint8).argmax(dim=1)


def random_valid_points(gen: torch.Generator, mask: torch.Tensor, count: int, like: torch.Tensor) -> torch.Tensor:
    """``(B, count)`` int64 indices of valid points, each drawn uniformly (with replacement) among
    its sample's valid points (index 0 for a sample without any)."""
    n = valid_count(mask)
    slot = uniform(gen, (mask.shape[0], count), 0.0, 1.0, like) * n.unsqueeze(1)
    slot = torch.minimum(slot.long(), (n - 1).clamp_min(0).unsqueeze(1))
    if bool(mask.all()):
        return slot
    order = torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)  # valid indices first, in order
    return torch.gather(order, 1, slot)


def gather_points(points: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``(B, M, C), (B, K) -> (B, K, C)``."""
    return torch.gather(points, 1, idx.unsqueeze(-1).expand(-1, -1, points.shape[-1]))


def where_samples(apply: torch.Tensor, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """Per-sample select: ``new[b]`` where ``apply[b]`` else ``old[b]``."""
    return torch.where(apply.view(-1, *([1] * (new.dim() - 1))), new, old)

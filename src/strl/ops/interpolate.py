"""Three-nearest-neighbour search and inverse-distance interpolation (PointNet++ feature propagation)."""

from __future__ import annotations

import torch

from strl.ops.ball_query import chunk_rows, coordinate_square_distance


def three_nn(unknown: torch.Tensor, known: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The 3 nearest ``known`` ``(B, m, 3)`` points of each ``unknown`` ``(B, n, 3)`` point.

    Returns ``dist`` ``(B, n, 3)`` float32 (square roots of the float32 squared distances) and
    ``idx`` ``(B, n, 3)`` int64, nearest first; equal distances keep index order. With fewer than
    3 known points the missing slots hold index 0 and distance inf, as in the original kernel.
    Not differentiable (the original returns no gradient either).
    """
    if unknown.ndim != 3 or known.ndim != 3 or unknown.shape[-1] != 3 or known.shape[-1] != 3:
        raise ValueError(f"expected (B, n, 3) and (B, m, 3), got {tuple(unknown.shape)} and {tuple(known.shape)}")
    b, n, _ = unknown.shape
    if known.shape[1] == 0:
        raise ValueError("three_nn needs at least one known point")
    step = chunk_rows(b, known.shape[1])
    dists, idxs = [], []
    for start in range(0, n, step):
        d = coordinate_square_distance(unknown[:, start : start + step], known)
        best_d, best_i = [], []
        for _ in range(3):  # argmin takes the first minimum, like the kernel's strict insertion
            i = d.argmin(-1, keepdim=True)
            best_i.append(i)
            best_d.append(d.gather(-1, i))
            d.scatter_(-1, i, float("inf"))
        dists.append(torch.cat(best_d, -1))
        idxs.append(torch.cat(best_i, -1))
    if not dists:
        empty = unknown.new_zeros(b, 0, 3, dtype=torch.float32)
        return empty, empty.long()
    return torch.cat(dists, 1).sqrt(), torch.cat(idxs, 1)


def inverse_distance_weights(dist: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Weights ``1 / (dist + eps)`` normalised to sum to 1 over the last axis: ``(B, n, 3)``."""
    recip = 1.0 / (dist + eps)
    return recip / recip.sum(-1, keepdim=True)


def three_interpolate(features: torch.Tensor, idx: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted sum of 3 features per target: ``(B, C, m), (B, n, 3), (B, n, 3) -> (B, C, n)``.

    Differentiable in ``features`` (a scatter-add, as in the original) and also in ``weight``
    (the original returns no gradient for it; the backbone's weights never require one).
    """
    b, c, _ = features.shape
    n = idx.shape[1]
    out = None
    for k in range(3):  # w1*f1 + w2*f2 + w3*f3, summed in the kernel's order
        picked = features.gather(2, idx[:, None, :, k].long().expand(b, c, n))
        term = picked * weight[:, None, :, k]
        out = term if out is None else out + term
    return out

"""k nearest neighbours by brute force, chunked so memory stays bounded for large N."""

from __future__ import annotations

import torch


def square_distance(query: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances ``(B, M, C), (B, N, C) -> (B, M, N)``, computed in fp32."""
    q = query.float()
    r = ref.float()
    d = -2.0 * torch.bmm(q, r.transpose(1, 2))
    d += (q * q).sum(-1, keepdim=True)
    d += (r * r).sum(-1).unsqueeze(1)
    return d.clamp_min_(0.0)


def knn(
    query: torch.Tensor,
    k: int,
    ref: torch.Tensor | None = None,
    chunk: int = 2048,
) -> torch.Tensor:
    """Indices of the ``k`` nearest points of ``ref`` for each point of ``query``.

    query: ``(B, M, C)``; ref: ``(B, N, C)`` (defaults to ``query``, so each point is its own
    first neighbour). Returns ``(B, M, k)`` int64, nearest first. Rows of the distance matrix are
    processed ``chunk`` queries at a time, so memory is ``O(B * chunk * N)``.
    """
    ref = query if ref is None else ref
    if k > ref.shape[1]:
        raise ValueError(f"k={k} is larger than the number of points ({ref.shape[1]})")
    # centre both on the query mean: distances are unchanged, fp32 round-off is not
    centre = query.float().mean(dim=1, keepdim=True)
    query, ref = query.float() - centre, ref.float() - centre
    out = []
    for start in range(0, query.shape[1], chunk):
        d = square_distance(query[:, start : start + chunk], ref)
        out.append(d.topk(k, dim=-1, largest=False, sorted=True).indices)
    return torch.cat(out, dim=1)


def gather_neighbours(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Gather features by neighbour index: ``(B, N, C), (B, M, k) -> (B, M, k, C)``."""
    b, m, k = idx.shape
    flat = idx.reshape(b, m * k, 1).expand(-1, -1, x.shape[-1])
    return torch.gather(x, 1, flat).reshape(b, m, k, x.shape[-1])

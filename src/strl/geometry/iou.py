"""Exact overlaps of boxes: rotated BEV intersection, BEV / oriented 3-D / axis-aligned IoU.

The rotated-rectangle intersection is a fixed-size, vectorised Sutherland-Hodgman clip: for
each pair the second rectangle is written in the frame of the first, where the first is the
axis-aligned ``[-dx/2, dx/2] x [-dy/2, dy/2]``, and is clipped by its four half-planes. Each clip
keeps every polygon as a fixed number of vertex slots (4, 5, 6, 7, then 8), unused slots
repeating the first vertex, so the shoelace area needs no vertex count. Crossing points are only
formed on edges whose ends lie on different sides (the division is by a non-zero number), and
points on a clipping line count as inside: identical, edge-sharing, touching, contained and
zero-size boxes give the exact area and never NaN.

Only pairs whose axis-aligned bounds meet (and, for 3-D IoU, whose z ranges overlap) are clipped
at all. Bounds are tested ``CHUNK_MASK`` pairs at a time and clipped ``CHUNK_PAIRS`` pairs at a time, so memory stays bounded (tens of
MB) for ``10^4 x 10^3`` pairs and more.
"""

from __future__ import annotations

import torch

from strl.geometry.boxes import bev_of, corners_bev

CHUNK_PAIRS = 1 << 16  # pairs clipped at once
CHUNK_MASK = 1 << 22  # pairs whose bounds are tested at once


def _clip_half_plane(poly: torch.Tensor, axis: int, sign: float, limit: torch.Tensor) -> torch.Tensor:
    """Clip polygons ``(P, V, 2)`` by ``sign * p[axis] <= limit`` ``(P,)``; returns ``(P, V + 1, 2)``."""
    p, v = poly.shape[:2]
    inside_by = limit[:, None] - sign * poly[..., axis]  # (P, V), >= 0 inside
    nxt = poly.roll(-1, dims=1)
    nxt_by = inside_by.roll(-1, dims=1)
    inside, nxt_inside = inside_by >= 0, nxt_by >= 0
    crossing = inside != nxt_inside
    denom = torch.where(crossing, inside_by - nxt_by, torch.ones_like(inside_by))
    t = (inside_by / denom).unsqueeze(-1)
    cross = poly + t * (nxt - poly)
    cross[..., axis] = (sign * limit)[:, None].expand(p, v)  # exactly on the clipping line
    # Sutherland-Hodgman order: vertex i (if inside), then the crossing on edge (i, i+1)
    cand = torch.stack((poly, cross), dim=2).reshape(p, 2 * v, 2)
    keep = torch.stack((inside, crossing), dim=2).reshape(p, 2 * v)
    # compact the kept points into V + 1 slots (a convex polygon gains at most one vertex)
    slot = keep.long().cumsum(dim=1) - 1
    slot = torch.where(keep & (slot <= v), slot, torch.full_like(slot, v + 1))
    out = poly.new_zeros(p, v + 2, 2).scatter_(1, slot.unsqueeze(-1).expand(-1, -1, 2), cand)[:, : v + 1]
    count = keep.sum(dim=1, keepdim=True)
    unused = (torch.arange(v + 1, device=poly.device) >= count).unsqueeze(-1)
    return torch.where(unused, out[:, :1], out)


def _polygon_area(poly: torch.Tensor) -> torch.Tensor:
    """Shoelace area of counter-clockwise polygons ``(P, V, 2) -> (P,)``, never negative."""
    nxt = poly.roll(-1, dims=1)
    twice = (poly[..., 0] * nxt[..., 1] - poly[..., 1] * nxt[..., 0]).sum(dim=1)
    return (twice / 2).clamp_min(0)


def _bev_intersection_matched(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Overlap area of matched BEV boxes ``(P, 5), (P, 5) -> (P,)``, not chunked."""
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    c, s = torch.cos(a[:, 4]), torch.sin(a[:, 4])
    b_in_a = torch.stack((c * dx + s * dy, c * dy - s * dx, b[:, 2], b[:, 3], b[:, 4] - a[:, 4]), dim=1)
    poly = corners_bev(b_in_a)  # (P, 4, 2), b in the frame of a
    half_x, half_y = a[:, 2] / 2, a[:, 3] / 2
    for axis, sign, limit in ((0, 1.0, half_x), (0, -1.0, half_x), (1, 1.0, half_y), (1, -1.0, half_y)):
        poly = _clip_half_plane(poly, axis, sign, limit)
    area = _polygon_area(poly)
    return torch.minimum(area, torch.minimum(a[:, 2] * a[:, 3], b[:, 2] * b[:, 3]))


def _bev_bounds(boxes: torch.Tensor) -> torch.Tensor:
    """Axis-aligned bounds of BEV boxes ``(N, 5) -> (N, 4)``, widened by a relative 1e-6."""
    c, s = torch.cos(boxes[:, 4]).abs(), torch.sin(boxes[:, 4]).abs()
    half_x = (c * boxes[:, 2] + s * boxes[:, 3]) / 2
    half_y = (s * boxes[:, 2] + c * boxes[:, 3]) / 2
    slack = 1e-6 * (half_x + half_y + boxes[:, :2].abs().amax(dim=1))
    half_x, half_y = half_x + slack, half_y + slack
    return torch.stack((boxes[:, 0] - half_x, boxes[:, 1] - half_y, boxes[:, 0] + half_x, boxes[:, 1] + half_y), 1)


def _bounds_meet(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Whether axis-aligned 2-D bounds ``(..., 4)`` meet, broadcasting: ``(N, 1, 4), (1, M, 4) -> (N, M)``."""
    return (a[..., 0] <= b[..., 2]) & (b[..., 0] <= a[..., 2]) & (a[..., 1] <= b[..., 3]) & (b[..., 1] <= a[..., 3])


def _clipped_areas(a: torch.Tensor, b: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
    """Overlap areas of the pairs ``(a[i], b[j])``: ``(P,)``, clipped ``CHUNK_PAIRS`` at a time."""
    parts = [
        _bev_intersection_matched(a[i[k : k + CHUNK_PAIRS]], b[j[k : k + CHUNK_PAIRS]])
        for k in range(0, i.numel(), CHUNK_PAIRS)
    ]
    return torch.cat(parts) if parts else a.new_zeros(0)


def _bev_intersection_masked(a: torch.Tensor, b: torch.Tensor, candidates: torch.Tensor | None) -> torch.Tensor:
    """BEV overlap areas ``(N, 5), (M, 5) -> (N, M)``; pairs outside ``candidates (N, M)`` are 0."""
    n, m = a.shape[0], b.shape[0]
    out = a.new_zeros(n, m)
    if n == 0 or m == 0:
        return out
    bounds_a, bounds_b = _bev_bounds(a), _bev_bounds(b)
    rows = max(1, CHUNK_MASK // m)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        meet = _bounds_meet(bounds_a[start:stop, None], bounds_b[None])
        if candidates is not None:
            meet &= candidates[start:stop]
        i, j = meet.nonzero(as_tuple=True)
        out[i + start, j] = _clipped_areas(a, b, i + start, j)
    return out


def _bev_intersection_pairs(a: torch.Tensor, b: torch.Tensor, candidates: torch.Tensor | None = None) -> torch.Tensor:
    """BEV overlap areas of matched pairs ``(P, 5), (P, 5) -> (P,)``; pairs outside ``candidates (P,)`` are 0."""
    out = a.new_zeros(a.shape[0])
    for start in range(0, a.shape[0], CHUNK_MASK):
        stop = min(a.shape[0], start + CHUNK_MASK)
        meet = _bounds_meet(_bev_bounds(a[start:stop]), _bev_bounds(b[start:stop]))
        if candidates is not None:
            meet &= candidates[start:stop]
        k = meet.nonzero(as_tuple=True)[0] + start
        out[k] = _clipped_areas(a, b, k, k)
    return out


def _ratio(inter: torch.Tensor, size_a: torch.Tensor, size_b: torch.Tensor) -> torch.Tensor:
    """``inter / (size_a + size_b - inter)`` in [0, 1]; 0 where the union is empty."""
    union = size_a + size_b - inter
    safe = torch.where(union > 0, union, torch.ones_like(union))
    return torch.where(union > 0, inter / safe, torch.zeros_like(union)).clamp(0, 1)


def bev_intersection(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact overlap area of rotated rectangles for all pairs: ``(N, 5), (M, 5) -> (N, M)``."""
    return _bev_intersection_masked(a, b, None)


def bev_iou(a: torch.Tensor, b: torch.Tensor, candidates: torch.Tensor | None = None) -> torch.Tensor:
    """Rotated BEV IoU for all pairs: ``(N, 5), (M, 5) -> (N, M)`` in [0, 1].

    With ``candidates (N, M)`` bool, only those pairs are computed and the others are 0.
    """
    inter = _bev_intersection_masked(a, b, candidates)
    return _ratio(inter, (a[:, 2] * a[:, 3])[:, None], (b[:, 2] * b[:, 3])[None, :])


def _z_overlap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Overlap of the z ranges of 3-D boxes (broadcasting ``(..., 7)`` shapes), never negative."""
    top = torch.minimum(a[..., 2] + a[..., 5] / 2, b[..., 2] + b[..., 5] / 2)
    bottom = torch.maximum(a[..., 2] - a[..., 5] / 2, b[..., 2] - b[..., 5] / 2)
    return (top - bottom).clamp_min(0)


def _volume(boxes: torch.Tensor) -> torch.Tensor:
    return boxes[..., 3] * boxes[..., 4] * boxes[..., 5]


def iou_3d(a: torch.Tensor, b: torch.Tensor, candidates: torch.Tensor | None = None) -> torch.Tensor:
    """Oriented 3-D IoU for all pairs: ``(N, 7), (M, 7) -> (N, M)`` in [0, 1].

    BEV intersection times z overlap, over the union of the volumes. With ``candidates (N, M)``
    bool, only those pairs are computed and the others are 0.
    """
    dz = _z_overlap(a[:, None, :], b[None, :, :])
    mask = dz > 0 if candidates is None else candidates & (dz > 0)
    inter = _bev_intersection_masked(bev_of(a), bev_of(b), mask) * dz
    return _ratio(inter, _volume(a)[:, None], _volume(b)[None, :])


def _check_matched(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"matched pairs need as many boxes on both sides, got {a.shape[0]} and {b.shape[0]}")


def bev_iou_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Rotated BEV IoU of matched pairs: ``(N, 5), (N, 5) -> (N,)``."""
    _check_matched(a, b)
    return _ratio(_bev_intersection_pairs(a, b), a[:, 2] * a[:, 3], b[:, 2] * b[:, 3])


def iou_3d_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Oriented 3-D IoU of matched pairs: ``(N, 7), (N, 7) -> (N,)``."""
    _check_matched(a, b)
    dz = _z_overlap(a, b)
    inter = _bev_intersection_pairs(bev_of(a), bev_of(b), dz > 0) * dz
    return _ratio(inter, _volume(a), _volume(b))


def _aabb_iou(a: torch.Tensor, b: torch.Tensor, dims: int) -> torch.Tensor:
    inter = a.new_ones(a.shape[0], b.shape[0])
    size_a, size_b = a.new_ones(a.shape[0]), b.new_ones(b.shape[0])
    for k in range(dims):
        lo = torch.maximum(a[:, None, k], b[None, :, k])
        hi = torch.minimum(a[:, None, k + dims], b[None, :, k + dims])
        inter = inter * (hi - lo).clamp_min(0)
        size_a = size_a * (a[:, k + dims] - a[:, k]).clamp_min(0)
        size_b = size_b * (b[:, k + dims] - b[:, k]).clamp_min(0)
    return _ratio(inter, size_a[:, None], size_b[None, :])


def aabb_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of axis-aligned 3-D boxes ``(N, 6), (M, 6) -> (N, M)`` (layout ``aabb6``)."""
    return _aabb_iou(a, b, 3)


def aabb_iou_2d(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of axis-aligned rectangles ``(N, 4), (M, 4) -> (N, M)`` (layout ``aabb4``)."""
    return _aabb_iou(a, b, 2)

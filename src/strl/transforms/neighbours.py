"""The k nearest valid points of selected centre points, batched, without an N x N matrix per cloud.

On CPU a single k-d tree (scipy) holds every cloud of the batch, each shifted along x far enough
that no neighbour search can cross from one cloud into another; only distinct centres are
queried, and views of the same cloud in one batch (equal rows) share one search. Elsewhere
(GPU) a chunked brute-force search (:func:`strl.ops.knn.knn`) runs over the centres only,
with invalid points moved far away.
"""

from __future__ import annotations

import torch
from scipy.spatial import cKDTree

from strl.ops.knn import knn
from strl.transforms.masked import gather_points, valid_bbox

#: Largest number of distances the brute-force path holds at once (per chunk).
BRUTE_FORCE_ELEMENTS = 1 << 25


def nearest_valid(
    points: torch.Tensor,
    mask: torch.Tensor,
    centre: torch.Tensor,
    needed: torch.Tensor,
    k: int,
    backend: str = "auto",
) -> torch.Tensor:
    """Indices of the ``k`` nearest valid points (nearest first, the centre itself included).

    points ``(B, M, 3)``, mask ``(B, M)``, centre ``(B, Q)`` indices of valid points, needed
    ``(B, Q)`` bool: only these rows are searched; the others repeat their centre index.
    Every cloud with a needed row must hold at least ``k`` valid points.
    Returns ``(B, Q, k)`` int64 indices into ``M``.
    """
    if backend == "auto":
        backend = "tree" if points.device.type == "cpu" else "brute"
    if backend == "tree":
        return _tree_search(points, mask, centre, needed, k)
    if backend == "brute":
        return _brute_search(points, mask, centre, needed, k)
    raise ValueError(f"unknown k-NN backend {backend!r}; known: auto, tree, brute")


def same_cloud_rows(points: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(B,)``: for each cloud, the first row of the batch that holds the very same cloud."""
    b, m = mask.shape
    rows = torch.arange(b, device=points.device)
    if b == 1:
        return rows
    # clouds that agree on a few sample slots form a group; equality is then checked exactly
    probe = torch.linspace(0, m - 1, min(m, 16), device=points.device).long()
    valid = mask[:, probe]
    sample = torch.where(valid.unsqueeze(-1), points[:, probe], 0.0).reshape(b, -1)
    sample = torch.cat([sample, valid.to(sample.dtype)], dim=1)
    _, group = torch.unique(sample, dim=0, return_inverse=True)
    first = torch.full((b,), b, device=points.device).scatter_reduce(0, group, rows, "amin")
    rep = first[group]
    same = (points == points[rep]).all(dim=2) | ~mask  # only valid slots must match
    same = same.all(dim=1) & (mask == mask[rep]).all(dim=1)
    return torch.where(same, rep, rows)


def _tree_search(points, mask, centre, needed, k):
    b, m = mask.shape
    device = points.device
    pts, mask, centre, needed = points.detach().cpu(), mask.cpu(), centre.cpu(), needed.cpu()
    if not bool(needed.any()):
        return centre.unsqueeze(-1).repeat(1, 1, k).to(device)
    # views of one cloud share its search: only the first copy of each cloud goes in the tree
    rep = same_cloud_rows(pts, mask)
    kept = torch.unique(rep)
    slot_of = torch.empty(b, dtype=torch.int64)
    slot_of[kept] = torch.arange(kept.numel())
    pts, sub_mask = pts[kept], mask[kept]
    c = kept.numel()
    # one tree for the whole batch: cloud i is moved along x by i * gap, wider than any cloud
    lo, hi = valid_bbox(pts, sub_mask)
    gap = 2.0 * float((hi - lo).norm(dim=1).max()) + 1.0
    shift = lo.double().neg()
    shift[:, 0] += gap * torch.arange(c, dtype=torch.float64)
    shifted = (pts.double() + shift.unsqueeze(1)).reshape(-1, 3)
    all_valid = bool(sub_mask.all())
    valid_flat = None if all_valid else sub_mask.reshape(-1).nonzero().squeeze(1)
    tree_points = shifted if all_valid else shifted[valid_flat]
    tree = cKDTree(tree_points.numpy(), balanced_tree=False, compact_nodes=False)
    # query each distinct (cloud, centre) once
    wanted = centre + m * slot_of[rep].unsqueeze(1)
    is_wanted = torch.zeros(c * m, dtype=torch.bool)
    is_wanted[wanted[needed]] = True
    distinct = is_wanted.nonzero().squeeze(1)
    rank = torch.cumsum(is_wanted, 0) - 1
    threads = max(1, torch.get_num_threads())  # as many as torch may use
    _, hit = tree.query(shifted[distinct].numpy(), k=k, workers=threads)
    hit = torch.from_numpy(hit).reshape(-1, k)
    local = (hit if all_valid else valid_flat[hit]) % m
    found = local[rank[wanted]]
    if bool(needed.all()):
        return found.to(device)
    return torch.where(needed.unsqueeze(-1), found, centre.unsqueeze(-1)).to(device)


def _brute_search(points, mask, centre, needed, k):
    b, m = mask.shape
    # centre each cloud (the distance formula of knn loses precision far from the origin);
    # invalid points all sit at one point far outside every cloud
    lo, hi = valid_bbox(points, mask)
    points = points - ((lo + hi) / 2).unsqueeze(1)
    far = torch.where(mask, points.abs().amax(-1), 0.0).amax(dim=1) * 4.0 + 1.0
    ref = torch.where(mask.unsqueeze(-1), points, far.view(-1, 1, 1))
    query = gather_points(points, centre)
    chunk = max(1, BRUTE_FORCE_ELEMENTS // max(1, b * m))
    idx = knn(query, k, ref=ref, chunk=chunk)
    return torch.where(needed.unsqueeze(-1), idx, centre.unsqueeze(-1))

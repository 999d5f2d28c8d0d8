"""The k nearest valid points of selected centre points, batched, without an N x N matrix per cloud.

On CPU each distinct cloud of the batch gets a k-d tree of its valid points (:mod:`pykdtree`,
else scipy's ``cKDTree``); only distinct centres are queried, and views of the same cloud in one
batch (equal rows) share one search. Elsewhere (GPU) a chunked brute-force search
(:func:`strl.ops.knn.knn`) runs over the centres only, with invalid points moved far away.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch
from scipy.spatial import cKDTree

try:  # about twice as fast as cKDTree for these queries; scipy remains the fallback
    from pykdtree.kdtree import KDTree as _FastKDTree
except ImportError:  # pragma: no cover - depends on the installation
    _FastKDTree = None

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


@lru_cache(maxsize=1)
def _openmp_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _tree_threads():
    """pykdtree's OpenMP threads limited to torch's thread count (1 in DataLoader workers)."""
    if _FastKDTree is None:
        yield
        return
    with _openmp_controller().limit(limits=max(1, torch.get_num_threads()), user_api="openmp"):
        yield


def kd_tree_query(data: np.ndarray, queries: np.ndarray, k: int) -> torch.Tensor:
    """Rows of ``data`` ``(n, 3)`` nearest to each of ``queries`` ``(q, 3)``: ``(q, k)`` int64, nearest first.

    Uses pykdtree when installed (its threads: see :func:`_tree_threads`), else scipy's
    ``cKDTree`` on torch's thread count. Requires ``k <= n``.
    """
    if _FastKDTree is not None:  # it computes in the data's precision: centre the cloud first
        centre = data.mean(axis=0)
        queries = np.ascontiguousarray(queries - centre, dtype=data.dtype)
        _, idx = _FastKDTree(np.ascontiguousarray(data - centre)).query(queries, k=k)
        idx = idx.astype(np.int64)
    else:
        _, idx = cKDTree(data).query(queries, k=k, workers=max(1, torch.get_num_threads()))
    return torch.from_numpy(np.asarray(idx).reshape(len(queries), k))


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
    rep = same_cloud_rows(pts, mask)  # views of one cloud share its search
    clouds = torch.unique(rep[needed.any(dim=1)])
    slot_of = torch.zeros(b, dtype=torch.int64)
    slot_of[clouds] = torch.arange(len(clouds))
    # each distinct (cloud, centre) is searched once; its neighbours go to row `centre` of its table
    wanted = torch.zeros(len(clouds), m, dtype=torch.bool)
    row, col = needed.nonzero(as_tuple=True)
    wanted[slot_of[rep[row]], centre[row, col]] = True
    tables = torch.empty(len(clouds), m, k, dtype=torch.int32)  # int32: much faster index_select
    all_valid = bool(mask[clouds].all())
    with _tree_threads():
        for i, cloud in enumerate(clouds.tolist()):
            queries = wanted[i].nonzero().squeeze(1)
            if all_valid:
                hits = kd_tree_query(pts[cloud].numpy(), pts[cloud, queries].numpy(), k)
            else:
                valid = mask[cloud].nonzero().squeeze(1)  # slot of each valid point
                hits = valid[kd_tree_query(pts[cloud, valid].numpy(), pts[cloud, queries].numpy(), k)]
            tables[i, queries] = hits.to(torch.int32)
    flat = (slot_of[rep].unsqueeze(1) * m + centre).view(-1)
    found = tables.view(-1, k).index_select(0, flat).view(*centre.shape, k).long()
    if not bool(needed.all()):  # rows not needed repeat their centre (and unsearched clouds' rows are junk)
        found = torch.where(needed.unsqueeze(-1), found, centre.unsqueeze(-1))
    return found.to(device)


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

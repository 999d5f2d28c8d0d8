"""The k nearest valid points of selected centre points, batched, without an N x N matrix per cloud.

Three exact backends. The tree and bucket backends query only distinct centres, and views of the
same cloud in one batch (equal rows) share one search.

* ``"bucket"`` (pure torch): a kd partition of each cloud into buckets of
  :data:`BUCKET` points; each query compares itself with the points of the :data:`SEARCHED`
  buckets of its pool nearest to it (point-to-box distance), keeps the k smallest by a sorting
  network over all queries at once, and proves the result: no unsearched bucket may lie closer
  than the k-th distance. The few queries that fail the proof are searched again over every
  bucket that could hold a neighbour. (Its nearest-first order may swap two distances that are
  equal to within about 1e-5; the set of neighbours is exact.)
  On one CPU thread it is about as fast as the tree on surface-like clouds (noisy spheres:
  10-20% faster, planes: about 10% slower) and several times slower on volumes, where many
  proofs fail, so "auto" keeps the tree on CPU.
* ``"tree"`` (the CPU default): one scipy k-d tree holds every cloud of the batch, each shifted
  along x far enough that no neighbour search can cross from one cloud into another.
* ``"brute"`` (the GPU default): a chunked brute-force search (:func:`strl.ops.knn.knn`) over the
  centres only, with invalid points moved far away.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from scipy.spatial import cKDTree

from strl.ops.knn import knn
from strl.transforms.masked import gather_points, valid_bbox

#: Largest number of distances the brute-force path holds at once (per chunk).
BRUTE_FORCE_ELEMENTS = 1 << 25
#: Points per bucket of the "bucket" backend (the leaves of its kd partition).
BUCKET = 8
#: Buckets whose points the "bucket" backend compares with each query.
SEARCHED = 8
#: Nearest nodes (pairs of buckets) whose buckets the queries of a node choose from.
POOL_NODES = 14
#: Queries the "bucket" backend handles at once (bounds its temporary memory).
QUERY_BLOCK = 1 << 13


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
    if backend == "bucket":
        return _bucket_search(points, mask, centre, needed, k)
    if backend == "tree":
        return _tree_search(points, mask, centre, needed, k)
    if backend == "brute":
        return _brute_search(points, mask, centre, needed, k)
    raise ValueError(f"unknown k-NN backend {backend!r}; known: auto, bucket, tree, brute")


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


# ---------------------------------------------------------------------------------------------
# "bucket" backend
#
# Distances are squared and computed as explicit coordinate differences (no cancellation); the
# point-to-box and box-to-box lower bounds use the same operations in the same order, so every
# bound is exact in floating point too. Selections run as bitonic networks of elementwise
# min/max over int keys laid out (candidates, queries): a key is the distance's bit pattern
# (ordered like the distance, as distances are >= 0) with its low bits replaced by the
# candidate's row. The truncation is undone where it matters: a query whose k-th and
# (k+1)-th keys agree above those bits is searched again exactly.


_BUCKET_BITS = BUCKET.bit_length() - 1  # BUCKET and SEARCHED are powers of two
_SEARCHED_BITS = SEARCHED.bit_length() - 1
_POOL = 2 * POOL_NODES  # buckets in a pool
_RANK_BITS = (_POOL - 1).bit_length()  # a pool padded to a power of two


class _Buckets(NamedTuple):
    """A kd partition of ``c`` clouds with ``p`` slots each (a power of two, padding last)."""

    p: int
    nl: int  # buckets per cloud that may hold points (even)
    order: torch.Tensor  # (c * p,) cloud * p + slot of each position, in kd order
    src: torch.Tensor  # (c * p,) index into the flat (c, m) points of each position (0: none)
    holds: torch.Tensor  # (c * p,) bool: the position holds a valid point
    xyz: torch.Tensor  # (3, c * p) coordinates in kd order, inf where there is no point
    lo: torch.Tensor  # (3, c * nl + 1) bucket boxes; the last bucket is an empty one
    hi: torch.Tensor  # (3, c * nl + 1)
    table: torch.Tensor  # (3, BUCKET, c * nl + 1) the points of each bucket (inf: none)
    node_xyz: torch.Tensor  # (3, 2 * BUCKET, c * nl // 2) the points of each node (pair of buckets)


def _bucket_search(points, mask, centre, needed, k):
    """The "bucket" backend; same contract as :func:`nearest_valid`. A ``k`` of half the
    searched points or more goes to the brute-force path."""
    b, m = mask.shape
    device = points.device
    if not bool(needed.any()):
        return centre.unsqueeze(-1).repeat(1, 1, k)
    if 2 * k >= SEARCHED * BUCKET:
        return _brute_search(points, mask, centre, needed, k)
    rep = same_cloud_rows(points, mask)
    kept = torch.unique(rep)
    c = kept.numel()
    slot_of = torch.empty(b, dtype=torch.int64, device=device)
    slot_of[kept] = torch.arange(c, device=device)
    pts, valid = points.index_select(0, kept), mask.index_select(0, kept)
    dtype = torch.float64 if points.dtype == torch.float64 else torch.float32
    lo, hi = valid_bbox(pts, valid)
    local = pts.to(dtype) - ((lo + hi) / 2).to(dtype).unsqueeze(1)
    bk = _partition(local, valid)
    pools, pool_bound = _pools(bk.lo, bk.hi, c, bk.nl)
    # the distinct queries, in kd order, a block of nodes at a time
    wanted = centre + m * slot_of.index_select(0, rep).unsqueeze(1)
    is_wanted = torch.zeros(c * m, dtype=torch.bool, device=device)
    is_wanted[wanted[needed]] = True
    qpos = (is_wanted.index_select(0, bk.src) & bk.holds).nonzero().squeeze(1)
    found = torch.empty(k, qpos.numel(), dtype=torch.int64, device=device)
    nodes, step = c * bk.nl // 2, max(1, QUERY_BLOCK // (2 * BUCKET))
    starts = torch.arange(0, nodes + step, step, device=device)
    cuts = torch.searchsorted(_bucket_of(bk, qpos) >> 1, starts).tolist()
    for i, first in enumerate(range(0, nodes, step)):
        if cuts[i] < cuts[i + 1]:
            block = slice(first, min(nodes, first + step))
            queries = slice(cuts[i], cuts[i + 1])
            found[:, queries] = _search_nodes(bk, pools, pool_bound, block, qpos[queries], k)
    # bucket-table position -> kd position -> slot; then one row per (row, centre)
    first_pos = torch.arange(c, device=device).repeat_interleave(bk.nl) * bk.p
    first_pos += torch.arange(bk.nl, device=device).repeat(c) * BUCKET
    first_pos = torch.cat([first_pos, first_pos.new_zeros(1)])
    kd_pos = first_pos.index_select(0, (found >> _BUCKET_BITS).view(-1))
    kd_pos += (found & (BUCKET - 1)).view(-1)
    slots = (bk.order.index_select(0, kd_pos) & (bk.p - 1)).view(k, -1).t().contiguous()
    query_of = torch.zeros(c * m, dtype=torch.int64, device=device)
    query_of[bk.src.index_select(0, qpos)] = torch.arange(qpos.numel(), device=device)
    out = slots.index_select(0, query_of.index_select(0, wanted.view(-1))).view(b, -1, k)
    if bool(needed.all()):
        return out
    return torch.where(needed.unsqueeze(-1), out, centre.unsqueeze(-1))


def _bucket_of(bk, kd_pos):
    """Bucket (among the c * nl of :class:`_Buckets`) of kd positions that hold points."""
    cloud = kd_pos >> (bk.p.bit_length() - 1)
    return cloud * bk.nl + ((kd_pos & (bk.p - 1)) >> _BUCKET_BITS)


def _partition(local, valid) -> _Buckets:
    """The buckets of ``local`` ``(c, m, 3)`` (centred clouds) with ``valid`` ``(c, m)``."""
    c, m, _ = local.shape
    device, dtype = local.device, local.dtype
    all_valid = bool(valid.all())
    order, p = _kd_order(local, valid, all_valid)
    slot = order & (p - 1)
    inrow = slot < m
    src = torch.where(inrow, (order >> (p.bit_length() - 1)) * m + slot, 0)
    holds = inrow if all_valid else inrow & valid.reshape(-1).index_select(0, src)
    xyz = local.reshape(-1, 3).index_select(0, src)
    xyz = torch.where(holds.unsqueeze(1), xyz, torch.inf).t().contiguous()
    # valid points come first in each cloud, so only the first nl buckets may hold any
    nl = 2 * -(-int(valid.sum(1).max()) // (2 * BUCKET))
    cells = xyz.view(3, c, p // BUCKET, BUCKET)[:, :, :nl].reshape(3, c * nl, BUCKET)
    lo = cells.amin(2)
    if all_valid:
        hi = cells.amax(2)
    else:
        cell_holds = holds.view(c, p // BUCKET, BUCKET)[:, :nl].reshape(1, c * nl, BUCKET)
        hi = torch.where(cell_holds, cells, -torch.inf).amax(2)
    none = torch.full((3, 1), torch.inf, dtype=dtype, device=device)
    table = torch.cat([cells.transpose(1, 2), none.expand(3, BUCKET).unsqueeze(-1)], 2)
    node_xyz = cells.view(3, c * nl // 2, 2 * BUCKET).transpose(1, 2).contiguous()
    return _Buckets(p, nl, order, src, holds, xyz, torch.cat([lo, none], 1),
                    torch.cat([hi, -none], 1), table.contiguous(), node_xyz)


def _kd_order(local, valid, all_valid):
    """Positions of the points after median splits along the widest axis, down to buckets.

    Returns ``(c * p,)`` cloud * p + slot in kd order and ``p``, the slots per cloud (a power of
    two >= m). Valid points come first in each cloud. Coordinates are quantised per cloud
    (for the split only) so that a split is one radix sort of int keys (row, coordinate)."""
    c, m, _ = local.shape
    device = local.device
    p = max(2 * BUCKET, 1 << (m - 1).bit_length())
    n = c * p
    row_bits = max(1, (n // (2 * BUCKET) - 1).bit_length())
    itype = torch.int32 if row_bits <= 19 else torch.int64
    coord_bits = min(20, (31 if itype == torch.int32 else 63) - row_bits)
    top = (1 << coord_bits) - 1  # marks the empty slots, which sort last
    lo, hi = (local.amin(1), local.amax(1)) if all_valid else valid_bbox(local, valid)
    scale = (top - 1) / (hi - lo).amax(1).clamp_min(torch.finfo(local.dtype).tiny)
    q = ((local - lo.unsqueeze(1)) * scale.view(-1, 1, 1)).to(itype).clamp_(0, top - 1)
    q = q.permute(2, 0, 1) if all_valid else torch.where(valid, q.permute(2, 0, 1), top)
    coords = torch.full((3, c, p), top, dtype=itype, device=device)
    coords[:, :, :m] = q
    axes = list(coords.view(3, n).unbind(0))
    dense = all_valid and p == m
    order = torch.arange(n, device=device)
    row_of = torch.arange(n, device=device, dtype=itype)
    width = p
    while width > BUCKET:
        rows = n // width
        spread = []
        for a in axes:
            r = a.view(rows, width)
            upper = r.amax(1) if dense else torch.where(r < top, r, 0).amax(1)
            spread.append(upper - r.amin(1))
        use_y = (spread[1] > spread[0]).unsqueeze(1)
        use_z = (spread[2] > torch.maximum(spread[0], spread[1])).unsqueeze(1)
        x, y, z = (a.view(rows, width) for a in axes)
        along = torch.where(use_z, z, torch.where(use_y, y, x))
        row = (row_of >> (width.bit_length() - 1)) << coord_bits
        perm = torch.sort((row.view(rows, width) | along).view(-1)).indices
        axes = [a.index_select(0, perm) for a in axes]
        order = order.index_select(0, perm)
        width //= 2
    return order, p


def _gap(lo_a, hi_a, lo_b, hi_b):
    """Squared distance between boxes (or a point, lo = hi): ``(3, ...)`` bounds, broadcast."""
    total = None
    for ax in range(3):
        t = torch.maximum(lo_b[ax] - hi_a[ax], lo_a[ax] - hi_b[ax]).clamp_min_(0)
        total = t.square_() if total is None else total.addcmul_(t, t)
    return total


def _pools(lo, hi, c, nl):
    """For each node (pair of buckets): the buckets of its POOL_NODES nearest nodes.

    Returns ``(2 * POOL_NODES, c * nl // 2)`` bucket ids (c * nl: the empty bucket) and
    ``(c * nl // 2,)`` a lower bound on the squared distance from the node to all its cloud's
    other buckets."""
    nn = nl // 2
    device = lo.device
    node_lo = lo[:, :-1].reshape(3, c, nn, 2).amin(3)  # (3, c, nn)
    node_hi = hi[:, :-1].reshape(3, c, nn, 2).amax(3)
    rows = max(1 << POOL_NODES.bit_length(), 1 << (nn - 1).bit_length())
    bits = (rows - 1).bit_length()
    gap = _gap(node_lo.unsqueeze(1), node_hi.unsqueeze(1),  # (nn_other, c, nn)
                          node_lo.transpose(1, 2).contiguous().unsqueeze(-1),
               node_hi.transpose(1, 2).contiguous().unsqueeze(-1))
    keys = torch.full((rows, c * nn), _int_max(lo.dtype), dtype=_int_type(lo.dtype), device=device)
    _pack(gap.reshape(nn, c * nn), bits, out=keys[:nn])
    best = _smallest(keys, 1 << POOL_NODES.bit_length())  # >= POOL_NODES + 1 rows
    bound = _unpack(best[POOL_NODES], bits, lo.dtype)
    other = best[:POOL_NODES] & ((1 << bits) - 1)
    base = torch.arange(c, device=device).repeat_interleave(nn) * nl
    first = torch.where(other < nn, base + 2 * other, c * nl)
    pools = torch.stack([first, torch.where(other < nn, first + 1, c * nl)], 1)
    return pools.view(_POOL, c * nn), bound


def _search_nodes(bk: _Buckets, pools, pool_bound, nodes: slice, qpos, k):
    """``(k, Q)`` bucket-table positions (bucket * BUCKET + i) of the k nearest points of the
    queries at kd positions ``qpos`` (ascending), all in the given range of nodes."""
    device, dtype = bk.xyz.device, bk.xyz.dtype
    nq, nb = qpos.numel(), nodes.stop - nodes.start
    bucket = _bucket_of(bk, qpos)
    node = bucket >> 1
    # every point of the nodes ranks its node's pool by point-to-box distance
    pool = pools[:, nodes]
    plo = bk.lo.index_select(1, pool.reshape(-1)).view(3, -1, 1, nb)
    phi = bk.hi.index_select(1, pool.reshape(-1)).view(3, -1, 1, nb)
    at = bk.node_xyz[:, :, nodes].unsqueeze(1)  # (3, 1, 2 * BUCKET, nb)
    rows = 1 << _RANK_BITS
    keys = torch.full((rows, 2 * BUCKET * nb), _int_max(dtype), dtype=_int_type(dtype), device=device)
    _pack(_gap(at, at, plo, phi).view(_POOL, -1), _RANK_BITS, out=keys[:_POOL])
    column = (qpos & (2 * BUCKET - 1)) * nb + (node - nodes.start)
    ranked = _smallest(keys, 2 << _SEARCHED_BITS)[: SEARCHED + 1].index_select(1, column)
    pool = torch.cat([pool, pool.new_full((rows - _POOL, nb), bk.lo.shape[1] - 1)])
    pick = ((ranked[:SEARCHED] & (rows - 1)) * nb + (node - nodes.start)).view(-1)
    chosen = pool.reshape(-1).index_select(0, pick).view(SEARCHED, nq)
    rank_bound = _unpack(ranked[SEARCHED], _RANK_BITS, dtype)
    bound = torch.minimum(rank_bound, pool_bound.index_select(0, node))
    # distances to the chosen buckets' points; rows i * SEARCHED + t
    q3 = bk.xyz.index_select(1, qpos)  # (3, Q)
    dist = None
    for ax in range(3):
        e = bk.table[ax].index_select(1, chosen.view(-1)).view(BUCKET * SEARCHED, nq)
        e.sub_(q3[ax])
        dist = e.square_() if dist is None else dist.addcmul_(e, e)
    bits = (BUCKET * SEARCHED - 1).bit_length()
    best = _smallest(_pack(dist, bits), 1 << k.bit_length())  # >= k + 1 rows
    col = best[:k] & ((1 << bits) - 1)
    found = torch.gather(chosen, 0, col & (SEARCHED - 1)) << _BUCKET_BITS
    found |= col >> _SEARCHED_BITS
    # proof: k valid points, no tie cut by the truncation, nothing unsearched closer
    kth = best[k - 1]
    kth_up = (kth | ((1 << bits) - 1)).view(dtype)
    finite = kth < _inf_bits(dtype)
    proven = finite & ((kth >> bits) != (best[k] >> bits)) & (kth_up <= bound)
    redo = (~proven).nonzero().squeeze(1)
    if redo.numel():
        reach = torch.where(finite, kth_up, torch.inf).index_select(0, redo)
        found[:, redo] = _search_reach(bk, bucket.index_select(0, redo), q3[:, redo], reach, k)
    return found


def _search_reach(bk: _Buckets, bucket, q3, reach, k):
    """Exact search over every bucket of the query's cloud within ``reach`` (squared, an upper
    bound on the k-th distance). Returns ``(k, F)`` bucket-table positions."""
    device = q3.device
    nl, empty = bk.nl, bk.lo.shape[1] - 1
    c = empty // nl
    lo = bk.lo[:, :empty].view(3, c, nl).transpose(0, 1).contiguous()  # (c, 3, nl)
    hi = bk.hi[:, :empty].view(3, c, nl).transpose(0, 1).contiguous()
    found = torch.empty(k, bucket.numel(), dtype=torch.int64, device=device)
    per = max(1, BRUTE_FORCE_ELEMENTS // (nl * BUCKET * 8))
    for s in range(0, bucket.numel(), per):
        part = slice(s, s + per)
        cloud = bucket[part] // nl
        n = cloud.numel()
        at = q3[:, part].unsqueeze(-1)  # (3, n, 1)
        box_lo = lo.index_select(0, cloud).transpose(0, 1)  # (3, n, nl)
        box_hi = hi.index_select(0, cloud).transpose(0, 1)
        gap = _gap(at, at, box_lo, box_hi)
        near = gap <= reach[part].unsqueeze(1)  # (n, nl)
        width = int(near.sum(1).max())
        # the near buckets of each query first (compacted), the empty bucket after them
        column = torch.where(near, near.cumsum(1) - 1, width)
        cand = torch.full((n, width + 1), empty, dtype=torch.int64, device=device)
        cand.scatter_(1, column, (cloud * nl).unsqueeze(1) + torch.arange(nl, device=device))
        cand = cand[:, :width].contiguous()
        dist = None
        for ax in range(3):
            e = bk.table[ax].index_select(1, cand.view(-1)).view(BUCKET, n, width)
            e = e - q3[ax, part].view(1, n, 1)
            dist = e.square_() if dist is None else dist.addcmul_(e, e)
        idx = dist.permute(1, 2, 0).reshape(n, width * BUCKET).topk(k, dim=1, largest=False).indices
        found[:, part] = (torch.gather(cand, 1, idx // BUCKET) * BUCKET + idx % BUCKET).t()
    return found


def _int_type(dtype):
    return torch.int64 if dtype == torch.float64 else torch.int32


def _int_max(dtype):
    return torch.iinfo(_int_type(dtype)).max


def _inf_bits(dtype):
    return torch.tensor(torch.inf, dtype=dtype).view(_int_type(dtype)).item()


def _pack(dist, bits, out=None):
    """Keys of non-negative ``dist`` ``(R, N)``: its bits, the low ``bits`` set to the row."""
    key = dist.view(_int_type(dist.dtype))
    row = torch.arange(dist.shape[0], dtype=key.dtype, device=dist.device).unsqueeze(1)
    out = torch.bitwise_and(key, -(1 << bits), out=out)
    return out.bitwise_or_(row)


def _unpack(key, bits, dtype):
    """The distance of a key, rounded down (inf for padding keys)."""
    dist = (key & -(1 << bits)).view(dtype)
    return torch.where(key >= _inf_bits(dtype), torch.inf, dist)


def _smallest(keys, w):
    """The ``w`` smallest keys of each column of ``keys`` ``(R, N)`` (R >= w, both powers of
    two), ascending: ``(w, N)``. A bitonic network; ``keys`` is overwritten."""
    r, n = keys.shape
    x, y = keys, torch.empty_like(keys)
    size = 2
    while size <= w:  # sort runs of w, alternately ascending and descending
        step = size // 2
        while step >= 1:
            x, y = _exchange(x, y, size, step), x
            step //= 2
        size *= 2
    while r > w:  # halve: the w smallest of an ascending and a descending run, then sort
        runs = x.view(r // (2 * w), 2, w, n)
        r //= 2
        out = y.view(-1)[: r * n].view(r // w, w, n)
        torch.minimum(runs[:, 0], runs[:, 1], out=out)
        x, y = out.view(r, n), x.view(-1)[: r * n].view(r, n)
        step = w // 2
        while step >= 1:
            x, y = _exchange(x, y, w, step), x
            step //= 2
    return x


def _exchange(x, y, size, step):
    """One layer of compare-exchanges between rows ``step`` apart, writing ``y``; runs of
    ``size`` rows alternate between ascending and descending (all ascending if only one)."""
    r, n = x.shape
    if 2 * size > r:
        xv, yv = x.view(-1, 2, step, n), y.view(-1, 2, step, n)
        torch.minimum(xv[:, 0], xv[:, 1], out=yv[:, 0])
        torch.maximum(xv[:, 0], xv[:, 1], out=yv[:, 1])
        return y
    xv = x.view(r // (2 * size), 2, size // (2 * step), 2, step, n)
    yv = y.view(r // (2 * size), 2, size // (2 * step), 2, step, n)
    for run, (low, high) in enumerate(((0, 1), (1, 0))):
        a, b = xv[:, run, :, 0], xv[:, run, :, 1]
        torch.minimum(a, b, out=yv[:, run, :, low])
        torch.maximum(a, b, out=yv[:, run, :, high])
    return y

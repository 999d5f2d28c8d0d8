"""EdgeConv without the ``(B, 2C, N, k)`` edge tensor.

An EdgeConv layer is ``max_j LReLU(BN(W · cat(x_j - x_i, x_i)))`` over the ``k`` neighbours ``j`` of
each point ``i``. Its first operation is linear, so with ``W = [W_a | W_b]``::

    W · cat(x_j - x_i, x_i) = P_j + Q_i,   P = W_a x,   Q = (W_b - W_a) x

and only per-point ``(B*N, C')`` tables are computed. BatchNorm (a per-channel affine map) followed
by LeakyReLU is monotone in each channel: increasing where ``gamma >= 0``, decreasing otherwise.
The max over neighbours is therefore the activation of ``max_j P_j`` (or ``min_j P_j``). The
training-mode BatchNorm statistics over all ``B*N*k`` edges come from per-point sums::

    sum  = sum_j deg_j P_j + k sum_i Q_i
    sum2 = sum_j deg_j P_j^2 + k sum_i Q_i^2 + 2 sum_i Q_i (sum_{j in N(i)} P_j)

(``deg_j``: how many points have ``j`` as a neighbour), evaluated on centred ``P`` and ``Q`` so the
variance does not cancel. Everything autograd keeps is ``O(B*N*C')``; gradients are those of the
reference layer except at exact ties of the max. Running statistics are updated as
``nn.BatchNorm2d`` does (momentum or cumulative average, unbiased variance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.batchnorm_stats import bn_scale, check_count, update_running_stats, updates_running_stats, uses_batch_stats


# ----------------------------------------------------------------------------- k nearest neighbours


def _block_size(n: int, k: int) -> int:
    """Block size ``g`` for :func:`smallest_k`, minimising ``n / g + k * g`` (1: plain ``topk``)."""
    best, cost = 1, n
    g = 2
    while n % g == 0 and n // g >= k:
        if n // g + k * g < cost:
            best, cost = g, n // g + k * g
        g *= 2
    return best if cost < 0.75 * n else 1


def smallest_k(dist: torch.Tensor, k: int) -> torch.Tensor:
    """Columns of the ``k`` smallest entries of each row of ``dist`` ``(R, N)`` -> ``(R, k)``, unordered.

    Two-stage selection: the columns are split into ``G`` interleaved blocks of ``g``; a block
    holding one of the ``k`` smallest entries has a minimum no larger than the ``k``-th smallest
    block minimum, so only the ``k`` blocks of smallest minimum (``k * g`` candidates) are searched.
    Exact up to the order of ties; about twice as fast as ``topk`` on rows of thousands.
    """
    r, n = dist.shape
    g = _block_size(n, k)
    if g == 1:
        return dist.topk(k, dim=1, largest=False, sorted=False).indices
    blocks = dist.view(r, g, n // g)  # entry (m, b) of a row is column m * G + b
    block_ids = blocks.amin(1).topk(k, dim=1, largest=False, sorted=False).indices  # (R, k)
    candidates = torch.gather(blocks, 2, block_ids.unsqueeze(1).expand(r, g, k)).view(r, g * k)
    pick = candidates.topk(k, dim=1, largest=False, sorted=False).indices  # (R, k) in [0, g*k)
    return torch.gather(block_ids, 1, pick % k) + (n // g) * (pick // k)


def knn_indices(x: torch.Tensor, k: int, max_entries: int = 1 << 25) -> torch.Tensor:
    """Indices of the ``k`` nearest points (the point itself included), ``(B, N, C) -> (B, N, k)``.

    Distances are ranked in fp32 as ``|x_j|^2 - 2 x_i . x_j`` (the squared distance less the
    constant ``|x_i|^2`` of each row), computed into one reused buffer of at most ``max_entries``
    entries: several whole clouds, or a block of rows of one cloud, at a time. The neighbours are
    not sorted by distance.
    """
    b, n, _ = x.shape
    if k > n:
        raise ValueError(f"k={k} is larger than the number of points ({n})")
    x = x.detach().float()
    x = x - x.mean(dim=1, keepdim=True)  # distances do not change; fp32 cancellation does, far from 0
    sq = (x * x).sum(-1).unsqueeze(1)  # (B, 1, N)
    rows = max(1, min(n, max_entries // n))
    clouds = max(1, min(b, max_entries // (n * n))) if rows == n else 1
    buf = torch.empty(clouds * rows * n, dtype=torch.float32, device=x.device)
    out = torch.empty(b, n, k, dtype=torch.long, device=x.device)
    for b0 in range(0, b, clouds):
        b1 = min(b0 + clouds, b)
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            d = buf[: (b1 - b0) * (stop - start) * n].view(b1 - b0, stop - start, n)
            torch.baddbmm(sq[b0:b1], x[b0:b1, start:stop], x[b0:b1].transpose(1, 2), alpha=-2.0, out=d)
            out[b0:b1, start:stop] = smallest_k(d.view(-1, n), k).view(b1 - b0, stop - start, k)
    return out


# ----------------------------------------------------------------------------- the neighbour graph


@dataclass
class NeighbourGraph:
    """A k-NN graph over ``B`` clouds of ``N`` points, as rows of a flattened ``(B*N, C)`` table.

    ``rows``: ``(B*N, k)`` int64, the table rows of each point's neighbours. The reverse lists
    (who has ``j`` as a neighbour) are built on first use, by the backward of :func:`neighbour_sum`.
    """

    rows: torch.Tensor
    _degree: torch.Tensor | None = field(default=None, repr=False)
    _reverse: tuple[torch.Tensor, torch.Tensor] | None = field(default=None, repr=False)

    @classmethod
    def from_indices(cls, idx: torch.Tensor) -> "NeighbourGraph":
        """From per-cloud indices ``(B, N, k)`` (as returned by :func:`knn_indices`)."""
        b, n, k = idx.shape
        offset = torch.arange(b, device=idx.device).mul_(n).view(b, 1, 1)
        return cls((idx + offset).reshape(b * n, k))

    @property
    def k(self) -> int:
        return self.rows.shape[1]

    @property
    def num_points(self) -> int:
        return self.rows.shape[0]

    def degree(self) -> torch.Tensor:
        """In-degree ``(B*N,)`` int64: how many points list each point as a neighbour."""
        if self._degree is None:
            self._degree = torch.bincount(self.rows.reshape(-1), minlength=self.num_points)
        return self._degree

    def reverse(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(sources, offsets)``: the points listing ``j`` are ``sources[offsets[j]:offsets[j+1]]``."""
        if self._reverse is None:
            order = torch.argsort(self.rows.reshape(-1), stable=True)
            offsets = torch.zeros_like(self.degree())
            offsets[1:] = torch.cumsum(self.degree()[:-1], 0)
            self._reverse = (order // self.k, offsets)
        return self._reverse


class _NeighbourSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, table, graph):
        ctx.graph = graph
        return F.embedding_bag(graph.rows, table, mode="sum")

    @staticmethod
    def backward(ctx, grad):
        sources, offsets = ctx.graph.reverse()
        return F.embedding_bag(sources, grad.contiguous(), offsets, mode="sum"), None


def neighbour_sum(table: torch.Tensor, graph: NeighbourGraph) -> torch.Tensor:
    """``out_i = sum_{j in N(i)} table_j``: ``(B*N, C) -> (B*N, C)``; backward sums over reverse lists."""
    return _NeighbourSum.apply(table, graph)


def _row_blocks(graph: NeighbourGraph, channels: int, budget: int = 1 << 21, max_blocks: int = 8):
    """``(start, stop)`` blocks of points whose gathered ``(points, k, C)`` neighbours take about
    ``budget`` entries, in at most ``max_blocks`` blocks (each op then has work enough to amortise
    the start of its parallel region)."""
    r = graph.num_points
    step = max(16, budget // (graph.k * max(channels, 1)), -(-r // max_blocks))
    return [(s, min(s + step, r)) for s in range(0, r, step)]


class _NeighbourMax(torch.autograd.Function):
    """Max over neighbours, gathering the ``(points, k, C)`` neighbours of one block of points at a time.

    With ``track``, the forward also records which neighbour slot gave each maximum (the last one
    among exact ties), with floating-point arithmetic only (much faster on CPU than comparisons): after
    ``d = sign(x - max)`` (0 at the maximum, -1 elsewhere), ``amax_m (slot_m + (k + 1) d_m)`` is the
    slot. The backward adds the gradient to that neighbour's table row.
    """

    @staticmethod
    def forward(ctx, table, graph, track):
        r, c, k = graph.num_points, table.shape[1], graph.k
        blocks = _row_blocks(graph, c)
        best = table.new_empty(r, c)
        buf = table.new_empty((blocks[0][1] - blocks[0][0]) * k, c)
        if track:
            slot = table.new_empty(r, c)  # 1-based slot, exact in floating point
            numbered = torch.arange(1, k + 1, dtype=table.dtype, device=table.device).view(1, k, 1)
        for start, stop in blocks:
            rows = graph.rows[start:stop].reshape(-1)
            nbrs = torch.index_select(table, 0, rows, out=buf[: rows.numel()]).view(stop - start, k, c)
            top = torch.amax(nbrs, 1, out=best[start:stop])
            if track:
                nbrs.sub_(top.unsqueeze(1)).sign_()
                torch.add(numbered, nbrs, alpha=k + 1, out=nbrs)
                torch.amax(nbrs, 1, out=slot[start:stop])
        if track:
            ctx.graph = graph
            ctx.save_for_backward(slot)
        return best

    @staticmethod
    def backward(ctx, grad, *_):
        (slot,) = ctx.saved_tensors
        source = torch.gather(ctx.graph.rows, 1, slot.long().sub_(1).clamp_(min=0))  # (B*N, C) table rows
        out = grad.new_zeros(grad.shape[1], grad.shape[0])  # channels first: each scatter stays in one row
        out.scatter_add_(1, source.t(), grad.t())
        return out.t(), None, None


def neighbour_max(table: torch.Tensor, graph: NeighbourGraph) -> torch.Tensor:
    """``out_i = max_{j in N(i)} table_j`` per channel: ``(B*N, C) -> (B*N, C)``.

    Same values as gathering ``(B*N, k, C)`` and taking ``amax``, without keeping it; the same
    gradient too, except at exact ties, where it goes to one neighbour (``amax`` splits it).
    """
    return _NeighbourMax.apply(table, graph, torch.is_grad_enabled() and table.requires_grad)


# ----------------------------------------------------------------------------- the fused layer


def can_fuse(layer: nn.Module) -> bool:
    """Whether ``layer`` is ``Sequential(Conv2d 1x1, BatchNorm2d, LeakyReLU(slope >= 0))``."""
    return (
        isinstance(layer, nn.Sequential)
        and len(layer) == 3
        and isinstance(layer[0], nn.Conv2d)
        and layer[0].kernel_size == (1, 1)
        and layer[0].groups == 1
        and isinstance(layer[1], nn.BatchNorm2d)
        and isinstance(layer[2], nn.LeakyReLU)
        and layer[2].negative_slope >= 0
    )


def point_tables(x: torch.Tensor, conv: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
    """``P = W_a x`` and ``Q = (W_b - W_a) x + bias``: ``(B, N, C) -> (B*N, C')`` each."""
    b, n, c = x.shape
    w = conv.weight.reshape(conv.out_channels, 2 * c)
    w_nbr, w_ctr = w[:, :c], w[:, c:]
    table = x.reshape(b * n, c)
    p = table @ w_nbr.t()
    q = table @ (w_ctr - w_nbr).t()
    if conv.bias is not None:
        q = q + conv.bias
    return p, q


def fused_edge_conv(x: torch.Tensor, graph: NeighbourGraph, layer: nn.Sequential) -> torch.Tensor:
    """``max_k LReLU(BN(Conv(cat(x_j - x_i, x_i))))`` of one :func:`can_fuse` layer: ``(B, N, C) -> (B, N, C')``.

    Uses batch statistics (and updates the running ones) exactly when ``nn.BatchNorm2d`` would.
    Under autocast the linear part may run in half precision; the BatchNorm part runs in fp32, as
    autocast runs ``batch_norm``.
    """
    b, n, _ = x.shape
    p, q = point_tables(x, layer[0])
    if p.dtype in (torch.float16, torch.bfloat16):
        p, q = p.float(), q.float()
    with torch.autocast(p.device.type, enabled=False):
        y = _batchnorm_lrelu_max(p, q, graph, layer[1], layer[2].negative_slope)
    return y.view(b, n, -1)


def _batchnorm_lrelu_max(p: torch.Tensor, q: torch.Tensor, graph: NeighbourGraph, bn: nn.BatchNorm2d, slope: float) -> torch.Tensor:
    """``max_{j in N(i)} LReLU(BN(P_j + Q_i))`` from the point tables ``(B*N, C')``."""
    k = graph.k
    if uses_batch_stats(bn):
        count = graph.num_points * k
        check_count(count)
        degree = graph.degree().to(p.dtype)
        mean_p = (degree @ p) / count
        mean_q = q.sum(0) * (k / count)
        p, q = p - mean_p, q - mean_q
        var = (degree @ (p * p) + k * (q * q).sum(0) + 2.0 * (q * neighbour_sum(p, graph)).sum(0)) / count
        var = var.clamp_min(0.0)
        if updates_running_stats(bn):
            update_running_stats(bn, (mean_p + mean_q).detach(), var.detach(), count)
    else:
        var = bn.running_var
        q = q - bn.running_mean
    scale = bn_scale(bn, var)
    flip = (scale < 0).detach()
    if bool(flip.any()):
        sign = 1.0 - 2.0 * flip.to(p.dtype)
        top = neighbour_max(p * sign, graph) * sign
    else:
        top = neighbour_max(p, graph)
    y = (top + q) * scale if bn.bias is None else torch.addcmul(bn.bias, top + q, scale)
    return F.leaky_relu(y, slope, inplace=True)


def linear_edge_features(x: torch.Tensor, graph: NeighbourGraph, conv: nn.Conv2d) -> torch.Tensor:
    """``Conv(cat(x_j - x_i, x_i))`` gathered from the point tables: ``(B, N, C) -> (B, C', N, k)``.

    For EdgeConv blocks with several per-edge layers; cheaper than convolving the ``2C`` graph feature.
    """
    b, n, _ = x.shape
    p, q = point_tables(x, conv)
    edges = p[graph.rows] + q.unsqueeze(1)  # (B*N, k, C')
    return edges.view(b, n, graph.k, -1).permute(0, 3, 1, 2)

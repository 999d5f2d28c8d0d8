"""Farthest point sampling with the exact selection rule of the pointnet2 CUDA kernel.

The kernel runs one thread block of ``P`` threads per cloud (``P`` is the largest power of two
``<= N``, capped at 512). Thread ``t`` scans points ``t, t + P, t + 2P, ...`` keeping the first
strict maximum; a tree reduction then keeps the lower slot unless the upper one is strictly larger.
Among tied maxima this picks the thread whose id, bit-reversed, is smallest, and inside that thread
the earliest point. Scanning the points once in that order and taking the first maximum
therefore gives the kernel's choice, ties included.

Distances are computed as ``(dx*dx + dy*dy) + dz*dz`` in float32 without fused multiply-adds;
the GPU compiler may fuse them in the original, so points whose distances differ only in the last
bit can be ordered differently there. Everything else (start, skip rule, cap, ties) is exact.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch

NEAR_ORIGIN_SQ = 1e-3  # points with squared norm <= this are never selected
_TEMP_INIT = 1e10  # initial min-distance of every point, as in the original wrapper


def _block_size(n: int) -> int:
    """Threads per block the original launcher uses for ``n`` points (``opt_n_threads``)."""
    pow_2 = int(math.log(n) / math.log(2.0))
    return max(min(1 << pow_2, 512), 1)


def _bit_reverse(t: torch.Tensor, bits: int) -> torch.Tensor:
    out = torch.zeros_like(t)
    for b in range(bits):
        out |= ((t >> b) & 1) << (bits - 1 - b)
    return out


@contextmanager
def _one_cpu_thread(device: torch.device):
    """Run on one CPU thread: the sampling loop is thousands of tiny ops, for which intra-op
    threads only add synchronisation (and stall badly when cores are busy, e.g. with data-loader
    workers). Restores the caller's thread count afterwards."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def kernel_scan_order(n: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Permutation of ``range(n)`` in which "first maximum" equals the kernel's tie-breaking."""
    p = _block_size(n)
    k = torch.arange(n, device=device)
    thread_rank = _bit_reverse(k % p, p.bit_length() - 1)
    return torch.argsort(thread_rank * ((n + p - 1) // p) + k // p)


def furthest_point_sample(xyz: torch.Tensor, m: int) -> torch.Tensor:
    """Indices ``(B, m)`` int64 of ``m`` farthest-point samples of ``xyz`` ``(B, N, 3)``.

    Starts at index 0; each step takes the point whose squared distance to the chosen set is
    largest (distances kept in float32 and capped at 1e10). Points with squared norm <= 1e-3 are
    never chosen after the first step (index 0 is always first, even if it is near the origin).

    Repeats, as in the original: once every eligible point has been taken (``N < m``, duplicate
    points, or many near-origin points), all remaining distances are 0 and every further step
    picks the same point again, the first eligible one in the kernel's scan order (index 0 when
    point 0 is eligible). If no point is eligible, every index is 0.
    """
    if xyz.ndim != 3 or xyz.shape[-1] != 3:
        raise ValueError(f"xyz must have shape (B, N, 3), got {tuple(xyz.shape)}")
    if xyz.shape[1] == 0:
        raise ValueError("cannot sample from an empty point cloud")
    if m < 0:
        raise ValueError(f"number of samples must be >= 0, got {m}")
    with _one_cpu_thread(xyz.device):
        return _sample(xyz, m)


def _sample(xyz: torch.Tensor, m: int) -> torch.Tensor:
    b, n, _ = xyz.shape
    order = kernel_scan_order(n, xyz.device)
    pts = xyz.detach().float()[:, order].permute(2, 0, 1).contiguous()  # (3, B, N), scan order
    sq = pts * pts
    eligible = (sq[0] + sq[1] + sq[2]).double() > NEAR_ORIGIN_SQ
    # -1 marks points the kernel skips: min(-1, d) stays -1 and never wins the argmax.
    temp = torch.where(eligible, _TEMP_INIT, -1.0).float()
    picked = torch.zeros(b, m, dtype=torch.long, device=xyz.device)
    old = torch.zeros(b, 1, dtype=torch.long, device=xyz.device)  # scan position of index 0
    for j in range(1, m):
        sq = pts - pts.gather(2, old.expand(3, b, 1))
        sq.mul_(sq)
        d = sq[0] + sq[1]
        d += sq[2]  # (dx*dx + dy*dy) + dz*dz, the kernel's order
        torch.minimum(temp, d, out=temp)
        old = temp.argmax(dim=1, keepdim=True)
        picked[:, j : j + 1] = old
    return order[picked]

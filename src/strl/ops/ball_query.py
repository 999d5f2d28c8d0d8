"""Ball query with the semantics of the pointnet2 CUDA kernel, chunked to bound memory."""

from __future__ import annotations

import torch

CHUNK_ELEMENTS = 1 << 22  # distance-matrix entries held at once (about 16 MB per float32 buffer)


def chunk_rows(batch: int, columns: int) -> int:
    """How many query rows fit in ``CHUNK_ELEMENTS`` entries of a ``(batch, rows, columns)`` matrix."""
    return max(1, CHUNK_ELEMENTS // max(1, batch * columns))


def coordinate_square_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances ``(B, M, 3), (B, N, 3) -> (B, M, N)`` in float32, summed per coordinate.

    Computes ``dx*dx + dy*dy + dz*dz`` from coordinate differences, in the order the pointnet2
    kernels use, so results near a radius or between close neighbours match them (up to the fused
    multiply-adds a GPU compiler may emit). Not differentiable: used for index selection only.
    """
    ap = a.detach().float().permute(2, 0, 1).contiguous()  # (3, B, M)
    bp = b.detach().float().permute(2, 0, 1).contiguous()  # (3, B, N)
    d = torch.sub(ap[0, :, :, None], bp[0, :, None, :])
    d.mul_(d)
    tmp = torch.empty_like(d)
    for c in (1, 2):
        torch.sub(ap[c, :, :, None], bp[c, :, None, :], out=tmp)
        d.add_(tmp.mul_(tmp))
    return d


def _first_hits(hit: torch.Tensor, nsample: int) -> torch.Tensor:
    """``(R, N)`` bool -> ``(R, nsample)``: first hits of each row in order, padded with the first."""
    rows, cols = hit.nonzero(as_tuple=True)  # row-major order: columns ascend within a row
    count = torch.bincount(rows, minlength=hit.shape[0])
    rank = torch.arange(rows.numel(), device=hit.device) - (count.cumsum(0) - count)[rows]
    keep = rank < nsample
    out = torch.zeros(hit.shape[0], nsample, dtype=torch.long, device=hit.device)
    out[rows[keep], rank[keep]] = cols[keep]
    slots = torch.arange(nsample, device=hit.device)
    return torch.where(slots < count[:, None], out, out[:, :1])  # no hit: the row stays 0


def ball_query(new_xyz: torch.Tensor, xyz: torch.Tensor, radius: float, nsample: int) -> torch.Tensor:
    """Neighbour indices ``(B, m, nsample)`` int64 of each centre of ``new_xyz`` ``(B, m, 3)``.

    Each row holds, in index order, the first ``nsample`` points of ``xyz`` ``(B, N, 3)`` whose
    squared distance to the centre is strictly below ``radius**2`` (both in float32). A row with
    fewer hits is padded with its first hit; a row with no hit is all zeros.
    """
    if new_xyz.ndim != 3 or xyz.ndim != 3 or new_xyz.shape[-1] != 3 or xyz.shape[-1] != 3:
        raise ValueError(f"expected (B, m, 3) and (B, N, 3), got {tuple(new_xyz.shape)} and {tuple(xyz.shape)}")
    if nsample < 1:
        raise ValueError(f"nsample must be >= 1, got {nsample}")
    b, m = new_xyz.shape[:2]
    n = xyz.shape[1]
    r = torch.tensor(radius, dtype=torch.float32)
    r2 = r * r  # float32, as the kernel computes it
    step = chunk_rows(b, n)
    out = [
        _first_hits((coordinate_square_distance(new_xyz[:, s : s + step], xyz) < r2).flatten(0, 1), nsample)
        .view(b, -1, nsample)
        for s in range(0, m, step)
    ]
    if not out:
        return torch.zeros(b, 0, nsample, dtype=torch.long, device=xyz.device)
    return torch.cat(out, dim=1)

"""Slow per-point loop versions of the point ops: the ground truth the fast ops are tested against.

Each function follows the corresponding pointnet2 CUDA kernel line by line, with float32
scalar arithmetic, including the thread layout and tree reduction of farthest point sampling.
Only for tiny inputs. Inputs are tensors; outputs are CPU tensors (indices int64).
"""

from __future__ import annotations

import numpy as np
import torch

f32 = np.float32


def _points(xyz: torch.Tensor) -> np.ndarray:
    return xyz.detach().cpu().numpy().astype(f32)


def _square_distance(p: np.ndarray, q: np.ndarray) -> np.float32:
    dx, dy, dz = p[0] - q[0], p[1] - q[1], p[2] - q[2]
    return dx * dx + dy * dy + dz * dz


def furthest_point_sample_loop(xyz: torch.Tensor, m: int) -> torch.Tensor:
    """``(B, N, 3), m -> (B, m)``: simulates the kernel's threads and its tree reduction."""
    pts = _points(xyz)
    n_batch, n, _ = pts.shape
    threads = 1
    while threads * 2 <= min(n, 512):
        threads *= 2
    out = np.zeros((n_batch, m), np.int64)
    for b in range(n_batch):
        temp = [f32(1e10)] * n
        old = 0
        for j in range(1, m):
            best, best_i = [f32(-1)] * threads, [0] * threads
            for t in range(threads):
                for k in range(t, n, threads):
                    x, y, z = pts[b, k]
                    if float(x * x + y * y + z * z) <= 1e-3:
                        continue
                    temp[k] = min(_square_distance(pts[b, k], pts[b, old]), temp[k])
                    if temp[k] > best[t]:
                        best[t], best_i[t] = temp[k], k
            step = threads // 2
            while step >= 1:
                for t in range(step):
                    if best[t + step] > best[t]:
                        best[t], best_i[t] = best[t + step], best_i[t + step]
                step //= 2
            old = best_i[0]
            out[b, j] = old
    return torch.from_numpy(out)


def ball_query_loop(new_xyz: torch.Tensor, xyz: torch.Tensor, radius: float, nsample: int) -> torch.Tensor:
    """``(B, m, 3), (B, N, 3) -> (B, m, nsample)``: first hits in index order, padded with the first."""
    centres, pts = _points(new_xyz), _points(xyz)
    r2 = f32(radius) * f32(radius)
    out = np.zeros(centres.shape[:2] + (nsample,), np.int64)
    for b in range(centres.shape[0]):
        for j in range(centres.shape[1]):
            cnt = 0
            for k in range(pts.shape[1]):
                if cnt == nsample:
                    break
                if _square_distance(centres[b, j], pts[b, k]) < r2:
                    if cnt == 0:
                        out[b, j, :] = k
                    out[b, j, cnt] = k
                    cnt += 1
    return torch.from_numpy(out)


def three_nn_loop(unknown: torch.Tensor, known: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, n, 3), (B, m, 3) -> dist, idx (B, n, 3)`` by strict insertion into a best-3 list."""
    u, k_pts = _points(unknown), _points(known)
    dist = np.full(u.shape[:2] + (3,), np.inf, np.float32)
    idx = np.zeros(u.shape[:2] + (3,), np.int64)
    for b in range(u.shape[0]):
        for j in range(u.shape[1]):
            best, best_i = [np.inf] * 3, [0] * 3
            for k in range(k_pts.shape[1]):
                d = _square_distance(u[b, j], k_pts[b, k])
                for slot in range(3):
                    if d < best[slot]:
                        best[slot + 1 :] = best[slot:2]
                        best_i[slot + 1 :] = best_i[slot:2]
                        best[slot], best_i[slot] = d, k
                        break
            dist[b, j] = np.sqrt(np.array(best, np.float32))
            idx[b, j] = best_i
    return torch.from_numpy(dist), torch.from_numpy(idx)


def gather_points_loop(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``(B, C, N), (B, m) -> (B, C, m)``."""
    out = features.new_zeros(features.shape[:2] + idx.shape[1:])
    for b in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            out[b, :, j] = features[b, :, int(idx[b, j])]
    return out


def group_points_loop(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``(B, C, N), (B, m, ns) -> (B, C, m, ns)``."""
    out = features.new_zeros(features.shape[:2] + idx.shape[1:])
    for b in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            for s in range(idx.shape[2]):
                out[b, :, j, s] = features[b, :, int(idx[b, j, s])]
    return out


def three_interpolate_loop(features: torch.Tensor, idx: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``(B, C, m), (B, n, 3), (B, n, 3) -> (B, C, n)``: ``w1*f1 + w2*f2 + w3*f3`` per channel."""
    out = features.new_zeros(features.shape[:2] + idx.shape[1:2])
    for b in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            for c in range(features.shape[1]):
                acc = features[b, c, int(idx[b, j, 0])] * weight[b, j, 0]
                for k in (1, 2):
                    acc = acc + features[b, c, int(idx[b, j, k])] * weight[b, j, k]
                out[b, c, j] = acc
    return out


def query_and_group_loop(xyz, new_xyz, features, radius: float, nsample: int) -> torch.Tensor:
    """``(B, N, 3), (B, m, 3), (B, C, N) or None -> (B, 3 + C, m, nsample)``, offsets / radius."""
    idx = ball_query_loop(new_xyz, xyz, radius, nsample)
    n_feat = 0 if features is None else features.shape[1]
    out = xyz.new_zeros(xyz.shape[0], 3 + n_feat, new_xyz.shape[1], nsample)
    for b in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            for s in range(nsample):
                k = int(idx[b, j, s])
                out[b, :3, j, s] = (xyz[b, k] - new_xyz[b, j]) / radius
                if features is not None:
                    out[b, 3:, j, s] = features[b, :, k]
    return out

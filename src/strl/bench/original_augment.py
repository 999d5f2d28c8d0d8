"""The original STRL object augmentation, one cloud at a time, for speed comparisons only.

This mirrors how the original data loader ran it: numpy and torch on a single ``(N, 3)`` cloud,
Python loops over retry attempts, an ``N x N`` distance matrix for up-sampling, and the crop
retry bug (an 11th attempt is drawn and discarded). Differences: randomness comes from the
``numpy.random.Generator`` argument instead of the global ``np.random`` / torch state (the
jitter is drawn with numpy), and the caller's array is copied first instead of being modified.
Do not use it for training; :func:`strl.transforms.augment` is the batched replacement.
"""

from __future__ import annotations

import numpy as np
import torch


def _upsample(points: torch.Tensor, max_num_points: int, rng, nsample: int = 5) -> torch.Tensor:
    p_num = points.shape[0]
    if p_num > max_num_points:
        return points
    c_num = max_num_points - p_num
    cids = rng.choice(np.arange(p_num), c_num)
    xyz = points[:, :3]
    r = torch.sum(xyz * xyz, -1, keepdim=True)
    dist = r - 2 * torch.matmul(xyz, xyz.t()) + r.t()  # the full N x N matrix
    dist = dist[torch.from_numpy(cids)]
    topk = torch.topk(dist, k=nsample * 2, dim=1, largest=False)[1]
    u = rng.uniform(0, 1, (c_num, nsample * 2))
    choice = topk[torch.from_numpy(u > np.median(u, axis=1, keepdims=True))].reshape(-1, nsample)
    new_points = torch.mean(points[choice], dim=1)
    return torch.cat([points, new_points], 0)


def _crop(points, rng, min_num_points, p=0.5, x=(0.6, 1.1), ar_range=(0.75, 1.33), max_try=10):
    if rng.uniform(0, 1) > p:
        return points
    pts = points.numpy()
    try_num = 0
    while True:
        coord_min, coord_max = pts.min(axis=0), pts.max(axis=0)
        diff = coord_max - coord_min
        rng_side = np.zeros(3)
        rng_side[0] = rng.uniform(*x)
        ar = rng.uniform(*ar_range)
        rng_side[1], rng_side[2] = rng_side[0] * ar, rng_side[0] / ar
        lo = (1 - rng_side) * rng.random(3)  # np.random.uniform(0, 1 - s), also for s > 1
        new_min, new_max = coord_min + diff * lo, coord_min + diff * (lo + rng_side)
        keep = np.sum((pts > new_min) & (pts < new_max), axis=1) == 3
        new_points = pts[keep]
        valid = min_num_points <= new_points.shape[0] < pts.shape[0]
        try_num += 1
        if try_num > max_try:  # checked after validity: an 11th success is thrown away
            return torch.from_numpy(pts).float()
        if valid:
            return torch.from_numpy(new_points).float()


def _normalize(points: torch.Tensor) -> torch.Tensor:
    pc = points.numpy()
    xyz = pc - np.mean(pc, axis=0)
    pc[:, :3] = xyz / np.max(np.sqrt(np.sum(xyz**2, axis=1)))
    return torch.from_numpy(pc).float()


def _cutout(points, rng, min_num_points, p=0.5, ratio=(0.3, 0.6), max_try=10):
    if rng.uniform(0, 1) > p:
        return points
    pts = points.numpy()
    try_num = 0
    while True:
        coord_min, coord_max = pts.min(axis=0), pts.max(axis=0)
        diff = coord_max - coord_min
        cut = rng.uniform(*ratio, 3)
        lo = rng.uniform(0, 1 - cut)
        new_min, new_max = coord_min + lo * diff, coord_min + (lo + cut) * diff
        inside = np.sum((pts > new_min) & (pts < new_max), axis=1) == 3
        try_num += 1
        if try_num > max_try:
            return torch.from_numpy(pts).float()
        if pts.shape[0] - inside.sum() >= min_num_points and inside.sum() > 0:
            return torch.from_numpy(pts[~inside]).float()


def _angle_axis(angle: float, axis: np.ndarray) -> torch.Tensor:
    u = axis / np.linalg.norm(axis)
    cross = np.array([[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]])
    rot = np.cos(angle) * np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * np.outer(u, u)
    return torch.from_numpy(rot).float()


def _rotate(points, rng, sigma=0.06, clip=0.18):
    rng.uniform(0, 1)  # the p test (p = 1)
    angles = np.clip(sigma * rng.standard_normal(3), -clip, clip)
    rx = _angle_axis(angles[0], np.array([1.0, 0.0, 0.0]))
    ry = _angle_axis(angles[1], np.array([0.0, 1.0, 0.0]))
    rz = _angle_axis(angles[2], np.array([0.0, 0.0, 1.0]))
    return torch.matmul(points, torch.matmul(torch.matmul(rz, ry), rx).t())


def _translate(points, rng, translate_range=0.1):
    rng.uniform(0, 1)
    pts = points.numpy()
    diff = pts.max(axis=0) - pts.min(axis=0)
    pts[:, :3] += rng.uniform(-translate_range, translate_range, size=3) * diff
    return torch.from_numpy(pts).float()


def _jitter(points, rng, std=0.01, clip=0.05):
    rng.uniform(0, 1)
    noise = torch.from_numpy(rng.normal(0.0, std, (points.shape[0], 3)).astype(np.float32))
    points[:, :3] += noise.clamp_(-clip, clip)
    return points


def _dropout(points, rng, max_ratio=0.875):
    rng.uniform(0, 1)
    pc = points.numpy()
    ratio = rng.random() * max_ratio
    drop = np.where(rng.random(pc.shape[0]) <= ratio)[0]
    if len(drop) > 0:
        pc[drop] = pc[0]
    return torch.from_numpy(pc).float()


def original_object_pipeline(
    points: np.ndarray, num_points: int, rng: np.random.Generator
) -> np.ndarray:
    """One view of ``points`` ``(N, 3)``, original object order: ``(num_points, 3)`` float32."""
    pc = torch.from_numpy(np.array(points, dtype=np.float32))
    pc = _upsample(pc, 2 * num_points, rng)
    pc = _crop(pc, rng, num_points)
    pc = _normalize(pc)
    pc = _cutout(pc, rng, num_points)
    rng.uniform(0, 1)  # scale: the p test (p = 1), then the factor
    pc[:, :3] *= rng.uniform(0.8, 1.25)
    pc = _rotate(pc, rng)
    pc = _translate(pc, rng)
    pc = _jitter(pc, rng)
    pc = _dropout(pc, rng)
    idx = np.arange(pc.shape[0])
    rng.shuffle(idx)
    return pc.numpy()[idx[:num_points]].copy()

"""Encoder features of labelled clouds, extracted in batches in eval mode."""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from strl.formats.base import CloudSet


def normalize_unit_sphere(points: np.ndarray) -> np.ndarray:
    """Centre on the mean and scale so the farthest point lies on the unit sphere: ``(N, 3) -> (N, 3)``."""
    centred = points - points.mean(axis=0, keepdims=True)
    radius = float(np.sqrt((centred**2).sum(axis=1)).max())
    return centred / radius if radius > 0 else centred


def prepare_cloud(points: np.ndarray, num_points: int) -> np.ndarray:
    """The evaluation protocol's input: the first ``num_points`` points (repeated cyclically if
    fewer), normalised to the unit sphere, float32 ``(num_points, 3)``."""
    pts = np.asarray(points, dtype=np.float32)[:, :3]
    if pts.shape[0] < num_points:
        pts = np.resize(pts, (num_points, 3))
    return normalize_unit_sphere(pts[:num_points]).astype(np.float32)


@torch.no_grad()
def _encode(encoder: torch.nn.Module, count: int, batch_of, batch_size: int, device, progress: bool, desc: str) -> np.ndarray:
    """Run ``encoder`` in eval mode on ``batch_of(start, stop)`` arrays ``(b, N, 3)``; ``(count, D)`` float32.
    The encoder's train/eval state is restored afterwards."""
    was_training = encoder.training
    encoder.eval()
    out = []
    try:
        for start in tqdm(range(0, count, batch_size), desc=desc, disable=not progress, leave=False):
            batch = np.asarray(batch_of(start, min(start + batch_size, count)), dtype=np.float32)
            out.append(encoder(torch.from_numpy(np.ascontiguousarray(batch)).to(device)).float().cpu().numpy())
    finally:
        encoder.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def extract_features(
    encoder: torch.nn.Module,
    clouds: CloudSet,
    num_points: int = 2048,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str = "features",
) -> np.ndarray:
    """``(len(clouds), feature_dim)`` features of the clouds prepared by :func:`prepare_cloud`."""

    def batch_of(start, stop):
        return np.stack([prepare_cloud(clouds[i], num_points) for i in range(start, stop)])

    return _encode(encoder, len(clouds), batch_of, batch_size, device, progress, desc)


def features_of_arrays(encoder: torch.nn.Module, clouds: np.ndarray, batch_size: int = 32, device="cpu", progress: bool = True) -> np.ndarray:
    """Features of clouds ``(M, N, 3)`` exactly as given (no preprocessing): ``(M, feature_dim)``."""
    return _encode(encoder, len(clouds), lambda start, stop: clouds[start:stop], batch_size, device, progress, "embed")

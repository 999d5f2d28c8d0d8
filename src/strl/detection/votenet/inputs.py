"""Scene -> network input: sampling to a fixed number of points, the height channel, augmentation.

:func:`prepare_scene` runs VoteNet's order: height from the whole cloud, random sampling to
``num_point``, then augmentation of points, boxes and vote targets together.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.detection.votenet.augment import AUGMENTATIONS
from strl.detection.votenet.vote_targets import GT_VOTE_FACTOR
from strl.errors import ConfigError

FLOOR_PERCENTILE = 0.99  # percent: the height channel is measured from the 0.99th percentile of z


@dataclass
class DetectionSample:
    """One scene ready for batching.

    points ``(N, 3 + F)``, boxes ``(K, 7)`` ``(cx, cy, cz, dx, dy, dz, heading)``, box_classes ``(K,)``
    int64, vote_offsets ``(N, 9)``, vote_mask ``(N,)`` bool.
    """

    points: torch.Tensor
    boxes: torch.Tensor
    box_classes: torch.Tensor
    vote_offsets: torch.Tensor
    vote_mask: torch.Tensor


def sample_indices(n: int, num_point: int, generator: torch.Generator) -> torch.Tensor:
    """``(num_point,)`` int64 indices into ``n`` points: without replacement when ``n >= num_point``,
    with replacement otherwise (VoteNet's ``random_sampling``)."""
    if n < 1:
        raise ValueError("cannot sample from an empty scene")
    if n >= num_point:
        return torch.randperm(n, generator=generator)[:num_point]
    return torch.randint(n, (num_point,), generator=generator)


def height_channel(z: torch.Tensor) -> torch.Tensor:
    """``(N,) -> (N,)``: height above the floor, ``z - percentile(z, 0.99)`` (linear interpolation,
    as ``np.percentile``)."""
    return z - torch.quantile(z, FLOOR_PERCENTILE / 100)


def prepare_scene(
    points: torch.Tensor,
    boxes: torch.Tensor,
    box_classes: torch.Tensor,
    vote_offsets: torch.Tensor | None = None,
    vote_mask: torch.Tensor | None = None,
    *,
    num_point: int,
    use_height: bool,
    augment: str | None,
    generator: torch.Generator,
) -> DetectionSample:
    """A scene's arrays -> :class:`DetectionSample` (float32).

    points ``(N, 3)`` xyz, boxes ``(K, 7)``, box_classes ``(K,)``, vote targets ``(N, 9)`` + ``(N,)``
    (see :mod:`strl.detection.votenet.vote_targets`; without them no point votes). ``augment`` is
    None, ``"scannet"`` or ``"sunrgbd"``; all draws come from ``generator``.
    """
    if augment is not None and augment not in AUGMENTATIONS:
        raise ConfigError(f"unknown augmentation {augment!r}; known: {', '.join(AUGMENTATIONS)}")
    xyz = torch.as_tensor(points, dtype=torch.float32)[:, :3]
    n = xyz.shape[0]
    if vote_offsets is None:
        vote_offsets, vote_mask = xyz.new_zeros(n, 3 * GT_VOTE_FACTOR), torch.zeros(n, dtype=torch.bool)
    offsets = torch.as_tensor(vote_offsets, dtype=torch.float32)
    mask = torch.as_tensor(vote_mask).bool()
    cloud = torch.cat([xyz, height_channel(xyz[:, 2])[:, None]], 1) if use_height else xyz
    choice = sample_indices(n, num_point, generator)
    cloud, offsets, mask = cloud[choice], offsets[choice], mask[choice]
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 7)
    if augment is not None:
        transform = AUGMENTATIONS[augment](generator)
        cloud = transform.apply_points(cloud, has_height=use_height)
        offsets, boxes = transform.apply_offsets(offsets), transform.apply_boxes(boxes)
    classes = torch.as_tensor(box_classes, dtype=torch.long).reshape(-1)
    return DetectionSample(cloud.contiguous(), boxes, classes, offsets, mask)

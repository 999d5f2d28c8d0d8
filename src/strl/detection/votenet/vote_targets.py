"""Vote targets: for each point, up to three object centres it should vote for.

VoteNet's layout: ``offsets (N, 9)`` holds three votes ``centre - point`` (the first vote repeated
where a point has fewer), ``mask (N,)`` says which points lie on an object. The vote loss takes,
for each seed, the distance to the nearest of its three votes.
"""

from __future__ import annotations

import torch

from strl.geometry.boxes import points_in_boxes

GT_VOTE_FACTOR = 3


def votes_for_centers(points: torch.Tensor, center_index: torch.Tensor, centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each point votes three times for ``centers[center_index]``; ``-1`` means on no object.

    points ``(N, 3)``, center_index ``(N,)`` int, centers ``(M, 3)`` -> offsets ``(N, 9)``, mask ``(N,)`` bool.
    """
    mask = center_index >= 0
    target = centers.to(points)[center_index.clamp(min=0)] if centers.shape[0] else points
    offsets = torch.where(mask[:, None], target - points, torch.zeros_like(points))
    return offsets.repeat(1, GT_VOTE_FACTOR), mask


def instance_vote_targets(
    points: torch.Tensor,
    instance: torch.Tensor,
    instance_ids: torch.Tensor,
    centers: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ScanNet-style votes: every point of instance ``instance_ids[m]`` votes for ``centers[m]``.

    points ``(N, 3)``, instance ``(N,)`` int (per-point instance id), instance_ids ``(M,)`` distinct
    ids of the objects to detect, centers ``(M, 3)`` (e.g. their boxes' centres). Without
    ``centers`` each instance votes for the middle of its points' bounding box, VoteNet's ScanNet rule
    (which it applies after augmentation, to the sampled points). Points of other instances do not vote.
    Returns offsets ``(N, 9)`` and mask ``(N,)`` bool.
    """
    ids, order = torch.sort(instance_ids.to(instance.device, instance.dtype))
    if ids.numel() > 1 and bool((ids[1:] == ids[:-1]).any()):
        raise ValueError("instance_ids must be distinct")
    m = ids.numel()
    if m == 0:
        return votes_for_centers(points, torch.full_like(instance, -1, dtype=torch.long), points.new_zeros(0, 3))
    pos = torch.searchsorted(ids, instance).clamp(max=m - 1)
    member = ids[pos] == instance
    index = torch.where(member, order[pos], -1)
    if centers is None:
        slot = index.clamp(min=0)[:, None].expand(-1, 3)
        big = torch.finfo(points.dtype).max
        lo = points.new_full((m, 3), big).scatter_reduce(0, slot, torch.where(member[:, None], points, big), "amin")
        hi = points.new_full((m, 3), -big).scatter_reduce(0, slot, torch.where(member[:, None], points, -big), "amax")
        centers = (lo + hi) / 2
    return votes_for_centers(points, index, centers)


def box_vote_targets(points: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """SUN RGB-D-style votes: every point inside a box ``(K, 7)`` votes for that box's centre.

    As VoteNet's ``sunrgbd_data.py``: a point inside several boxes (in box order) keeps the first
    box in vote 1, the second in vote 2 and the last in vote 3; votes it has no box for repeat the
    first. points ``(N, 3)`` -> offsets ``(N, 9)``, mask ``(N,)`` bool (inside at least one box).
    """
    inside = points_in_boxes(points, boxes)  # (N, K)
    count = inside.sum(1)
    if boxes.shape[0] == 0:
        return votes_for_centers(points, torch.full_like(count, -1), boxes[:, :3])
    rank = inside.cumsum(1)
    first = (inside & (rank == 1)).int().argmax(1)
    second = torch.where(count >= 2, (inside & (rank == 2)).int().argmax(1), first)
    last = torch.where(count >= 3, boxes.shape[0] - 1 - inside.flip(1).int().argmax(1), first)
    centers = boxes[:, :3].to(points)
    slots = torch.stack([first, second, last], 1)  # (N, 3)
    offsets = torch.where((count > 0)[:, None, None], centers[slots] - points[:, None, :], torch.zeros(()).to(points))
    return offsets.reshape(-1, 3 * GT_VOTE_FACTOR), count > 0

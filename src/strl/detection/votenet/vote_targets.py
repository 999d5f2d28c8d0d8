"""Vote targets: for each point, up to three object centres it should vote for.

VoteNet's layout: ``offsets (N, 9)`` holds three votes ``centre - point`` (the first vote repeated
where a point has fewer), ``mask (N,)`` says which points lie on an object. The vote loss takes,
for each seed, the distance to the nearest of its three votes.
"""

from __future__ import annotations

import torch

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

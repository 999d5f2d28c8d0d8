"""Greedy non-maximum suppression, computed as a fixed point over tensors."""

from __future__ import annotations

import torch

from strl.geometry.boxes import bev_of, boxes_to_aabb
from strl.geometry.iou import aabb_iou, aabb_iou_2d, bev_iou, iou_3d

OVERLAPS = ("bev", "3d", "aabb_3d", "aabb_bev")


def overlap_matrix(boxes: torch.Tensor, overlap: str, candidates: torch.Tensor | None = None) -> torch.Tensor:
    """IoU of every pair of ``boxes (K, 7)`` in one of the :data:`OVERLAPS` modes: ``(K, K)``.

    ``bev``: rotated BEV IoU (as OpenPCDet's ``nms_gpu``); ``3d``: oriented 3-D IoU;
    ``aabb_3d`` / ``aabb_bev``: IoU of the axis-aligned bounds of the 8 corners, in 3-D or seen
    from above (as VoteNet's ``nms_3d_faster`` / ``nms_2d_faster``). With ``candidates (K, K)``
    bool, the rotated modes compute only those pairs (the others are 0).
    """
    if overlap == "bev":
        box5 = bev_of(boxes)
        return bev_iou(box5, box5, candidates)
    if overlap == "3d":
        return iou_3d(boxes, boxes, candidates)
    if overlap == "aabb_3d":
        aabb = boxes_to_aabb(boxes)
        return aabb_iou(aabb, aabb)
    if overlap == "aabb_bev":
        aabb = boxes_to_aabb(boxes)[:, [0, 1, 3, 4]]
        return aabb_iou_2d(aabb, aabb)
    raise ValueError(f"unknown overlap {overlap!r}; expected one of {', '.join(OVERLAPS)}")


def nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    threshold: float,
    overlap: str = "bev",
    classes: torch.Tensor | None = None,
    max_keep: int | None = None,
) -> torch.Tensor:
    """Greedy NMS: indices ``(k,)`` int64 of the kept boxes, by descending score.

    boxes: ``(K, 7)`` for every mode (see :func:`overlap_matrix`); scores: ``(K,)``. Boxes are
    ranked by descending score, ties by lower index first. A box is dropped when its overlap with
    a kept, higher-ranked box is ``> threshold``. With ``classes (K,)`` only boxes of the same
    class suppress each other. ``max_keep`` keeps at most that many of the best.

    The overlap matrix is computed once; the greedy result is then the unique fixed point of
    ``keep[i] = no kept j ranked before i suppresses i``, reached by iterating from "keep all":
    after ``t`` sweeps the ``t`` best-ranked decisions are final, and in practice a few suffice.
    """
    k = boxes.shape[0]
    if k == 0:
        return torch.zeros(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    ranked = boxes[order]
    earlier = torch.ones(k, k, dtype=torch.bool, device=boxes.device).triu(diagonal=1)  # [j, i]: j before i
    if classes is not None:
        ranked_classes = classes[order]
        earlier &= ranked_classes[:, None] == ranked_classes[None, :]
    suppresses = (overlap_matrix(ranked, overlap, earlier) > threshold) & earlier
    keep = torch.ones(k, dtype=torch.bool, device=boxes.device)
    for _ in range(k):
        new_keep = ~(suppresses & keep[:, None]).any(dim=0)
        if torch.equal(new_keep, keep):
            break
        keep = new_keep
    kept = order[keep]
    return kept if max_keep is None else kept[:max_keep]

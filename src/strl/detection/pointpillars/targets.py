"""Anchor targets: OpenPCDet's ``AxisAlignedTargetAssigner`` (MATCH_HEIGHT False, POS_FRACTION -1).

Per frame and class, every anchor is compared with every ground-truth box of its class by the
*nearest axis-aligned BEV IoU* (each box's dx/dy swapped when ``|heading mod pi| >= pi / 4``, then
an axis-aligned IoU). An anchor is

- positive (its class) when its best IoU is ``>= matched_threshold``, or when it attains the best
  IoU of some box of its class (every box with a non-zero best IoU thus gets at least one anchor);
- negative (background) when its best IoU is ``< unmatched_threshold`` (always, for a class with no
  box in the frame);
- ignored otherwise.

There is no sampling (every anchor counts). Positives regress to their best-IoU box. Vectorised over
frames, anchors and boxes (anchors are shared by the frames, so one IoU matrix serves the batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from strl.detection.pointpillars.box_coder import encode_boxes
from strl.geometry.boxes import limit_period
from strl.geometry.iou import aabb_iou_2d


@dataclass
class AnchorTargets:
    """``labels (B, A)`` int64: 0 background, ``c + 1`` class c, -1 ignored; ``boxes (B, A, 7)`` the
    residuals of the matched box (zeros off the positives); ``matched (B, A)`` int64 the index of the
    matched ground-truth box (-1 off the positives)."""

    labels: torch.Tensor
    boxes: torch.Tensor
    matched: torch.Tensor


def nearest_bev_aabb(boxes: torch.Tensor) -> torch.Tensor:
    """Boxes ``(..., 7)`` -> the axis-aligned BEV boxes ``(..., 4)`` ``(xmin, ymin, xmax, ymax)`` nearest them:
    dx and dy swap places when ``|limit_period(heading, 0.5, pi)| >= pi / 4``."""
    turned = limit_period(boxes[..., 6], 0.5, math.pi).abs() >= math.pi / 4
    size = torch.where(turned[..., None], boxes[..., [4, 3]], boxes[..., [3, 4]])
    return torch.cat([boxes[..., 0:2] - size / 2, boxes[..., 0:2] + size / 2], dim=-1)


def nearest_bev_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(N, M)`` nearest axis-aligned BEV IoU of boxes ``a (N, 7)`` and ``b (M, 7)`` (OpenPCDet ``boxes3d_nearest_bev_iou``)."""
    return aabb_iou_2d(nearest_bev_aabb(a), nearest_bev_aabb(b))


def assign_targets(
    anchors: torch.Tensor,
    anchor_classes: torch.Tensor,
    gt_boxes: torch.Tensor,
    gt_classes: torch.Tensor,
    matched_thresholds: torch.Tensor,
    unmatched_thresholds: torch.Tensor,
) -> AnchorTargets:
    """Targets of anchors ``(A, 7)`` (class index ``(A,)``) for the boxes ``(B, G, 7)`` of a batch.

    ``gt_classes (B, G)`` is each box's class index, -1 for padding rows. ``matched_thresholds`` and
    ``unmatched_thresholds`` are ``(K,)`` per class.
    """
    b, g = gt_classes.shape
    num_anchors = anchors.shape[0]
    device = anchors.device
    if g == 0:
        return AnchorTargets(
            torch.zeros(b, num_anchors, dtype=torch.long, device=device),
            anchors.new_zeros(b, num_anchors, 7),
            torch.full((b, num_anchors), -1, dtype=torch.long, device=device),
        )
    iou = nearest_bev_iou(anchors, gt_boxes.reshape(b * g, 7).to(anchors.dtype)).view(num_anchors, b, g)
    same_class = anchor_classes[:, None, None] == gt_classes[None, :, :]  # padding (-1) matches nothing
    iou = torch.where(same_class, iou, torch.full_like(iou, -1.0))

    best_iou, best_box = iou.max(dim=2)  # (A, B); -1 where the frame has no box of the anchor's class
    box_best = iou.max(dim=0).values  # (B, G): best IoU of each box over the anchors of its class
    forced = ((iou == box_best[None]) & (box_best > 0)[None]).any(dim=2)

    matched_t = matched_thresholds.to(iou.dtype)[anchor_classes][:, None]
    unmatched_t = unmatched_thresholds.to(iou.dtype)[anchor_classes][:, None]
    labels = torch.full_like(best_box, -1)
    labels[best_iou < unmatched_t] = 0
    positive = forced | (best_iou >= matched_t)
    labels = torch.where(positive, anchor_classes[:, None] + 1, labels).T.contiguous()  # (B, A)
    best_box = best_box.T
    positive = positive.T

    matched_boxes = torch.gather(gt_boxes.to(anchors.dtype), 1, best_box[..., None].expand(-1, -1, 7))  # (B, A, 7)
    residuals = encode_boxes(matched_boxes, anchors[None].expand(b, -1, -1))
    residuals = torch.where(positive[..., None], residuals, torch.zeros_like(residuals))
    matched = torch.where(positive, best_box, torch.full_like(best_box, -1))
    return AnchorTargets(labels, residuals, matched)

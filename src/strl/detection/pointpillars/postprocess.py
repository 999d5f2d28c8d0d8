"""Head outputs -> boxes per frame (OpenPCDet ``generate_predicted_boxes`` + class-agnostic NMS)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.detection.pointpillars.anchor_head import HeadOutput
from strl.detection.pointpillars.box_coder import apply_direction, decode_boxes
from strl.detection.pointpillars.config import PointPillarsConfig
from strl.geometry.nms import nms


@dataclass
class Detections:
    """One frame's detections: ``boxes (k, 7)`` LiDAR-frame ``(x, y, z, dx, dy, dz, heading)``,
    ``scores (k,)`` in (0, 1) by descending score, ``labels (k,)`` int64 class index into ``cfg.class_names``."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor


def decode_predictions(out: HeadOutput, anchors: torch.Tensor, cfg: PointPillarsConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Boxes ``(B, A, 7)`` (residuals decoded, heading set by the direction bin) and class scores ``(B, A, K)`` (sigmoid)."""
    boxes = decode_boxes(out.box, anchors[None].to(out.box.dtype))
    heading = apply_direction(boxes[..., 6], out.dir.argmax(dim=-1), cfg.dir_offset, cfg.dir_limit_offset, cfg.num_dir_bins)
    return torch.cat([boxes[..., :6], heading[..., None]], dim=-1), torch.sigmoid(out.cls)


def select_boxes(boxes: torch.Tensor, class_scores: torch.Tensor, cfg: PointPillarsConfig) -> Detections:
    """One frame: each anchor's best class, score threshold, the ``nms_pre_max_size`` best, rotated BEV
    NMS over all classes together, at most ``nms_post_max_size`` kept. ``boxes (A, 7)``, ``class_scores (A, K)``."""
    scores, labels = class_scores.max(dim=1)
    candidates = (scores >= cfg.score_threshold).nonzero().squeeze(1)
    top = torch.topk(scores[candidates], k=min(cfg.nms_pre_max_size, len(candidates))).indices
    candidates = candidates[top]
    kept = candidates[nms(boxes[candidates], scores[candidates], cfg.nms_threshold, overlap="bev", max_keep=cfg.nms_post_max_size)]
    return Detections(boxes[kept], scores[kept], labels[kept])


@torch.no_grad()
def postprocess(out: HeadOutput, anchors: torch.Tensor, cfg: PointPillarsConfig) -> list[Detections]:
    """:class:`Detections` of every frame of a batch of head outputs ``(B, A, .)`` on anchors ``(A, 7)``."""
    boxes, scores = decode_predictions(out, anchors, cfg)
    return [select_boxes(boxes[i], scores[i], cfg) for i in range(boxes.shape[0])]

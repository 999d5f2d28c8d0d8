"""VoteNet's ``parse_predictions``: proposals -> scored, non-overlapping boxes per scene.

Objectness probability = softmax(objectness)[1]. Optionally drop boxes with fewer than 5 input
points inside. Non-maximum suppression by objectness probability on the axis-aligned bounds of
the boxes (BEV or 3D, class-agnostic or within the argmax class), IoU threshold 0.25. Then keep
proposals with objectness probability > 0.05 and emit each once per class with score
sem_prob[c]·obj_prob (``per_class_proposal``) or once as (argmax class, obj_prob).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.decode import decode_boxes
from strl.geometry.boxes import points_in_boxes
from strl.geometry.nms import nms


POINT_CHUNK = 8192  # points tested against all boxes at once when counting points in boxes


def points_per_box(points: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """How many of ``points (N, 3)`` lie in each of ``boxes (K, 7)``: ``(K,)`` int64 (chunked over points)."""
    counts = torch.zeros(boxes.shape[0], dtype=torch.long, device=boxes.device)
    for start in range(0, points.shape[0], POINT_CHUNK):
        counts += points_in_boxes(points[start : start + POINT_CHUNK], boxes).sum(0)
    return counts


@dataclass(frozen=True)
class ParseSettings:
    """Post-processing switches; the defaults are those of VoteNet's ``train.py`` evaluation."""

    remove_empty_box: bool = False
    use_3d_nms: bool = True
    cls_nms: bool = True
    per_class_proposal: bool = True
    nms_iou: float = 0.25
    conf_thresh: float = 0.05
    min_points_in_box: int = 5


#: VoteNet's entry points: ``train.py``'s evaluation, ``eval.py``'s defaults, the README's eval command
PARSE_PRESETS = {
    "train": ParseSettings(),
    "eval": ParseSettings(remove_empty_box=True, use_3d_nms=False, cls_nms=False, per_class_proposal=False),
    "readme": ParseSettings(remove_empty_box=True),
}


@dataclass
class Detections:
    """One scene's detections: boxes ``(k, 7)``, classes ``(k,)`` int64, scores ``(k,)``."""

    boxes: torch.Tensor
    classes: torch.Tensor
    scores: torch.Tensor


def parse_predictions(
    outputs: dict[str, torch.Tensor],
    box: BoxConfig,
    settings: ParseSettings = ParseSettings(),
    points: torch.Tensor | None = None,
) -> list[Detections]:
    """Detections of each scene of a batch of model ``outputs``; ``points (B, N, 3+F)`` are the
    network's input, needed only for ``remove_empty_box``."""
    boxes = decode_boxes(outputs, box).detach()
    obj_prob = outputs["objectness_scores"].detach().softmax(-1)[..., 1]
    sem_prob = outputs["sem_cls_scores"].detach().softmax(-1)
    sem_cls = sem_prob.argmax(-1)
    overlap = "aabb_3d" if settings.use_3d_nms else "aabb_bev"
    if settings.remove_empty_box and points is None:
        raise ValueError("remove_empty_box needs the input points")
    result = []
    for i in range(boxes.shape[0]):  # per scene; everything inside is vectorised over proposals
        candidates = torch.arange(boxes.shape[1], device=boxes.device)
        if settings.remove_empty_box:
            counts = points_per_box(points[i, :, :3].detach(), boxes[i])
            candidates = candidates[counts >= settings.min_points_in_box]
        classes = sem_cls[i, candidates] if settings.cls_nms else None
        kept = candidates[nms(boxes[i, candidates], obj_prob[i, candidates], settings.nms_iou, overlap=overlap, classes=classes)]
        kept = kept[obj_prob[i, kept] > settings.conf_thresh]
        if settings.per_class_proposal:
            nc = box.num_class
            result.append(Detections(
                boxes=boxes[i, kept].repeat(nc, 1),
                classes=torch.arange(nc, device=boxes.device).repeat_interleave(kept.numel()),
                scores=(sem_prob[i, kept] * obj_prob[i, kept, None]).T.reshape(-1),
            ))
        else:
            result.append(Detections(boxes[i, kept], sem_cls[i, kept], obj_prob[i, kept]))
    return result

"""Padded batches of scenes for VoteNet (ground truth padded to ``MAX_NUM_OBJ`` boxes with a mask)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from strl.detection.votenet.inputs import DetectionSample
from strl.errors import DataError

MAX_NUM_OBJ = 64


@dataclass
class DetectionBatch:
    """points ``(B, N, 3 + F)``, boxes ``(B, G, 7)``, box_classes ``(B, G)`` int64, box_mask ``(B, G)``
    bool, vote_offsets ``(B, N, 9)``, vote_mask ``(B, N)`` bool. Padded box slots are zeros."""

    points: torch.Tensor
    boxes: torch.Tensor
    box_classes: torch.Tensor
    box_mask: torch.Tensor
    vote_offsets: torch.Tensor
    vote_mask: torch.Tensor

    def to(self, device: torch.device | str) -> "DetectionBatch":
        return DetectionBatch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def collate_detection(samples: list[DetectionSample], max_objects: int = MAX_NUM_OBJ, names: list[str] | None = None) -> DetectionBatch:
    """Stack samples of equal point count; pad their boxes to ``max_objects``.

    A scene with more boxes stops with a :class:`DataError` naming it (``names[i]`` if given).
    """
    g = max_objects
    boxes = torch.zeros(len(samples), g, 7)
    classes = torch.zeros(len(samples), g, dtype=torch.long)
    mask = torch.zeros(len(samples), g, dtype=torch.bool)
    for i, s in enumerate(samples):  # one copy per scene, not per box
        k = s.boxes.shape[0]
        if k > g:
            raise DataError(names[i] if names else None, f"scene has {k} boxes, more than the {g} a batch holds")
        boxes[i, :k], classes[i, :k], mask[i, :k] = s.boxes, s.box_classes, True
    return DetectionBatch(
        points=torch.stack([s.points for s in samples]),
        boxes=boxes,
        box_classes=classes,
        box_mask=mask,
        vote_offsets=torch.stack([s.vote_offsets for s in samples]),
        vote_mask=torch.stack([s.vote_mask for s in samples]),
    )

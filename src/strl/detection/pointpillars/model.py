"""The PointPillars detector, module for module OpenPCDet's ``PointPillar`` (names and shapes match).

``vfe`` (PillarVFE) -> ``map_to_bev_module`` (PointPillarScatter, no parameters) -> ``backbone_2d``
(BaseBEVBackbone) -> ``dense_head`` (AnchorHeadSingle). Its ``state_dict`` holds OpenPCDet's keys
except ``global_step``, which :mod:`strl.detection.pointpillars.export` adds.
"""

from __future__ import annotations

import torch
from torch import nn

from strl.detection.pointpillars.anchor_head import AnchorHeadSingle, HeadOutput
from strl.detection.pointpillars.anchors import make_anchors
from strl.detection.pointpillars.bev_backbone import BaseBEVBackbone
from strl.detection.pointpillars.config import PointPillarsConfig
from strl.detection.pointpillars.losses import LossParts, detection_loss
from strl.detection.pointpillars.pillarize import Pillars, batch_points, pillarize
from strl.detection.pointpillars.postprocess import Detections, postprocess
from strl.detection.pointpillars.scatter import PointPillarScatter
from strl.detection.pointpillars.targets import assign_targets
from strl.detection.pointpillars.vfe import PillarVFE


class PillarEncoder(nn.Module):
    """The trunk shared by the detector and the pre-training encoder: points -> BEV features.

    Holds ``vfe`` and ``backbone_2d`` (and the parameter-free ``map_to_bev_module``) under
    OpenPCDet's names, so the two models exchange weights by key.
    """

    def __init__(self, cfg: PointPillarsConfig):
        super().__init__()
        self.cfg = cfg
        self.vfe = PillarVFE(cfg)
        self.map_to_bev_module = PointPillarScatter(cfg.grid_size)
        self.backbone_2d = BaseBEVBackbone(cfg)

    def pillarize(self, points: torch.Tensor | list[torch.Tensor], generator: torch.Generator | None = None) -> Pillars:
        """Pillars of ``points``: ``(B, N, C)``, a list of ``(N_i, C)``, or ``(sum N, 1 + C)`` with a frame-index
        column; the pillar limit is the training or test one by ``self.training``."""
        batch_size = None
        if isinstance(points, (list, tuple)) or points.dim() == 3:
            batch_size = len(points)
            points = batch_points(points)
        cfg = self.cfg
        return pillarize(points, cfg.point_cloud_range, cfg.voxel_size, cfg.max_points_per_pillar, cfg.max_pillars(self.training), batch_size, generator)

    def bev_features(self, pillars: Pillars) -> torch.Tensor:
        """``(B, backbone_channels, ny / stride, nx / stride)`` features of the backbone."""
        features = self.vfe(pillars)
        bev = self.map_to_bev_module(features, pillars.coords, pillars.batch_size)
        return self.backbone_2d(bev)


class AnchorDetection:
    """What the anchor head adds to a module with a ``cfg``: its anchors and matching thresholds as
    (non-persistent) buffers, the loss against ground-truth boxes, and the post-processing.
    Mixed into :class:`PointPillars` and the fine-tuning model
    :class:`strl.models.pointpillars.PointPillarsDetector`."""

    cfg: PointPillarsConfig

    def register_anchors(self, cfg: PointPillarsConfig) -> None:
        """Buffers ``anchors (A, 7)``, ``anchor_classes (A,)`` and the per-class ``(K,)`` IoU thresholds."""
        anchors, anchor_classes = make_anchors(cfg)
        self.register_buffer("anchors", anchors, persistent=False)
        self.register_buffer("anchor_classes", anchor_classes, persistent=False)
        self.register_buffer("matched_thresholds", torch.tensor([c.matched_threshold for c in cfg.classes]), persistent=False)
        self.register_buffer("unmatched_thresholds", torch.tensor([c.unmatched_threshold for c in cfg.classes]), persistent=False)

    def loss(self, out: HeadOutput, gt_boxes: torch.Tensor, gt_classes: torch.Tensor) -> LossParts:
        """Loss of head outputs against the boxes ``(B, G, 7)`` and class indices ``(B, G)`` (-1 = padding)."""
        targets = assign_targets(self.anchors, self.anchor_classes, gt_boxes, gt_classes, self.matched_thresholds, self.unmatched_thresholds)
        return detection_loss(out, targets, self.anchors, self.cfg)

    def predict(self, out: HeadOutput) -> list[Detections]:
        """Per-frame boxes, scores and class indices after the score threshold and NMS."""
        return postprocess(out, self.anchors, self.cfg)


class PointPillars(PillarEncoder, AnchorDetection):
    """The detector. ``forward(pillars) -> HeadOutput`` with one row per anchor of :attr:`anchors`."""

    def __init__(self, cfg: PointPillarsConfig):
        super().__init__(cfg)
        self.dense_head = AnchorHeadSingle(cfg, cfg.backbone_channels)
        self.register_anchors(cfg)

    def forward(self, pillars: Pillars) -> HeadOutput:
        return self.dense_head(self.bev_features(pillars))


def pad_boxes(boxes: list[torch.Tensor], classes: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frame boxes ``(G_i, 7)`` and class indices ``(G_i,)`` -> ``(B, G, 7)`` and ``(B, G)`` with -1 padding."""
    g = max((len(c) for c in classes), default=0)
    ref = boxes[0]
    out_boxes = ref.new_zeros(len(boxes), g, 7)
    out_classes = torch.full((len(boxes), g), -1, dtype=torch.long, device=ref.device)
    for i, (b, c) in enumerate(zip(boxes, classes)):
        out_boxes[i, : len(b)] = b
        out_classes[i, : len(c)] = c
    return out_boxes, out_classes

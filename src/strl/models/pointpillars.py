"""PointPillars as a fine-tuning model: the pre-trained trunk as ``encoder``, a fresh anchor head.

``encoder`` is a :class:`~strl.detection.pointpillars.encoder.PointPillarsEncoder` (``vfe`` and
``backbone_2d`` under OpenPCDet's names) and ``dense_head`` OpenPCDet's ``AnchorHeadSingle``, so
:meth:`~strl.models.base.TaskModel.downstream_state_dict` (``encoder.`` removed) holds exactly the
keys of OpenPCDet's PointPillar, and the encoder's learning rate, freezing and BatchNorm handling
are those of every other task model.
"""

from __future__ import annotations

import torch

from strl.detection.pointpillars.anchor_head import AnchorHeadSingle, HeadOutput
from strl.detection.pointpillars.config import PointPillarsConfig
from strl.detection.pointpillars.encoder import PointPillarsEncoder
from strl.detection.pointpillars.model import AnchorDetection
from strl.detection.pointpillars.pillarize import Pillars
from strl.models.base import TaskModel


class PointPillarsDetector(TaskModel, AnchorDetection):
    """``forward(pillars) -> HeadOutput`` (one row per anchor); ``loss`` and ``predict`` as
    :class:`~strl.detection.pointpillars.model.PointPillars`.

    ``cfg`` is the detector's configuration: the encoder's grid and layers (they must agree) with
    the classes to detect, which fix the head's anchors.
    """

    def __init__(self, encoder: PointPillarsEncoder, cfg: PointPillarsConfig):
        super().__init__()
        mine, theirs = cfg.describe(), encoder.cfg.describe()
        differ = [k for k in mine if k not in ("config", "classes") and mine[k] != theirs[k]]
        if differ:
            raise ValueError(f"the detector's configuration differs from its encoder's in {', '.join(differ)}")
        self.encoder = encoder
        self.cfg = cfg
        self.dense_head = AnchorHeadSingle(cfg, cfg.backbone_channels)
        self.register_anchors(cfg)

    def pillarize(self, points: torch.Tensor | list[torch.Tensor]) -> Pillars:
        """Pillars of ``(B, N, C)`` points or a list of ``(N_i, C)`` frames (the training or test pillar limit)."""
        return self.encoder.pillarize(points)

    def forward(self, pillars: Pillars) -> HeadOutput:
        return self.dense_head(self.encoder.bev_features(pillars))

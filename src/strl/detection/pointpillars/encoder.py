"""PointPillars as a pre-training encoder: ``(B, N, 3 | 4)`` sweeps -> ``(B, 2 * backbone_channels)``.

BYOL/SimCLR train ``vfe`` and ``backbone_2d``, the detector's trunk, through a global pooling of
the BEV backbone's output (max ‖ mean over the map). The state_dict keys are exactly the
detector's ``vfe.*`` and ``backbone_2d.*`` keys, so the weights move to
:class:`strl.detection.pointpillars.model.PointPillars` (and to OpenPCDet) by name.

Points are LiDAR-frame metres (x forward, y left, z up), as the detector sees them; points outside
the configured range are dropped by the pillarisation. ``(B, N, 3)`` input gets reflectance 0.
The pre-training augmentation must therefore keep metric coordinates: a view centred and scaled
into the unit sphere (the ``normalize`` step of the object and scene pipelines) falls into a few
pillars around the origin, most of it outside the KITTI range (x >= 0).
"""

from __future__ import annotations

import torch

from strl.detection.pointpillars.config import PointPillarsConfig, from_description
from strl.detection.pointpillars.model import PillarEncoder


class PointPillarsEncoder(PillarEncoder):
    """``forward(points (B, N, 3) or (B, N, 4)) -> (B, feature_dim)``, ``feature_dim = 2 * backbone_channels``."""

    def __init__(self, cfg: PointPillarsConfig | str | dict = "pointpillars-kitti"):
        """``cfg``: a configuration, a preset name, or a ``describe()`` dict (:func:`~.config.from_description`)."""
        super().__init__(from_description(cfg))
        self.feature_dim = 2 * self.cfg.backbone_channels

    def description(self) -> dict:
        """What this encoder is and what input it expects (plain JSON)."""
        return {"backbone": "pointpillars", "emb_dims": self.feature_dim, "in_channels": self.cfg.point_features, **self.cfg.describe()}

    def pooled(self, bev: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, 2C)``: global max then global mean over the map."""
        flat = bev.flatten(2)
        return torch.cat([flat.max(dim=2).values, flat.mean(dim=2)], dim=1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        channels = self.cfg.point_features
        if points.dim() != 3 or points.shape[2] not in (3, channels):
            raise ValueError(f"expected points (B, N, 3) or (B, N, {channels}), got {tuple(points.shape)}")
        if points.shape[2] == 3 and channels > 3:
            points = torch.cat([points, points.new_zeros(*points.shape[:2], channels - 3)], dim=2)
        return self.pooled(self.bev_features(self.pillarize(points)))

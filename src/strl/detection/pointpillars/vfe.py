"""PillarVFE: a shared Linear + BatchNorm + ReLU on every point of a pillar, then a max over the points.

Module and parameter names are OpenPCDet's (``pfn_layers.0.linear``, ``pfn_layers.0.norm``), so its
weights load by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.detection.pointpillars.config import PointPillarsConfig
from strl.detection.pointpillars.pillar_features import augment_pillar_points
from strl.detection.pointpillars.pillarize import Pillars


class PFNLayer(nn.Module):
    """``(P, M, C_in)`` -> ``(P, C_out)`` (last layer) or ``(P, M, C_out)`` (point feature ‖ pillar max).

    A layer that is not the last uses ``C_out / 2`` filters and appends the pillar maximum to every
    point. The BatchNorm statistics run over all ``P * M`` slots, padded ones included, as in
    OpenPCDet (the padded slots are zero, so their linear output is zero).
    """

    def __init__(self, in_channels: int, out_channels: int, use_norm: bool = True, last_layer: bool = False):
        super().__init__()
        self.last_layer = last_layer
        width = out_channels if last_layer else out_channels // 2
        self.linear = nn.Linear(in_channels, width, bias=not use_norm)
        self.norm = nn.BatchNorm1d(width, eps=1e-3, momentum=0.01) if use_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p, m, _ = x.shape
        y = self.linear(x)
        if self.norm is not None:
            y = self.norm(y.reshape(p * m, -1)).view(p, m, -1)
        y = F.relu(y)
        pooled = y.max(dim=1).values
        if self.last_layer:
            return pooled
        return torch.cat([y, pooled[:, None, :].expand_as(y)], dim=2)


class PillarVFE(nn.Module):
    """Pillars -> ``(P, vfe_filters[-1])`` pillar features (OpenPCDet ``PillarVFE``)."""

    def __init__(self, cfg: PointPillarsConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.vfe_in_channels, *cfg.vfe_filters]
        self.pfn_layers = nn.ModuleList(
            PFNLayer(widths[i], widths[i + 1], cfg.use_norm, last_layer=i >= len(widths) - 2) for i in range(len(widths) - 1)
        )

    def forward(self, pillars: Pillars) -> torch.Tensor:
        cfg = self.cfg
        x = augment_pillar_points(
            pillars.points, pillars.num_points, pillars.coords, cfg.point_cloud_range, cfg.voxel_size,
            cfg.use_absolute_xyz, cfg.with_distance,
        )
        if x.shape[0] == 0:  # no point in range: BatchNorm cannot take an empty batch
            return x.new_zeros(0, cfg.bev_channels) + 0 * sum(p.sum() for p in self.parameters())
        for layer in self.pfn_layers:
            x = layer(x)
        return x

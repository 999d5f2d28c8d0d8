"""AnchorHeadSingle's three 1x1 convolutions and the layout of their outputs.

At each map location the anchors come in the order (class 0 rotation 0, class 0 rotation 1, class 1
rotation 0, ...): for KITTI (Car r0, Car r1, Ped r0, Ped r1, Cyc r0, Cyc r1). Channel
``a * K + k`` of ``conv_cls`` is class k of anchor a, ``a * 7 + j`` of ``conv_box`` is box
parameter j, ``a * bins + d`` of ``conv_dir_cls`` is direction bin d; flattened over ``(y, x, a)``
they line up with :func:`strl.detection.pointpillars.anchors.make_anchors`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from strl.detection.pointpillars.config import PointPillarsConfig


@dataclass
class HeadOutput:
    """Raw head outputs per anchor: ``cls (B, A, K)`` logits, ``box (B, A, 7)`` residuals, ``dir (B, A, bins)`` logits."""

    cls: torch.Tensor
    box: torch.Tensor
    dir: torch.Tensor


class AnchorHeadSingle(nn.Module):
    """``(B, C, H, W)`` -> :class:`HeadOutput` with ``A = H * W * anchors_per_location``."""

    def __init__(self, cfg: PointPillarsConfig, in_channels: int):
        super().__init__()
        a = cfg.anchors_per_location
        self.num_classes, self.num_dir_bins = cfg.num_classes, cfg.num_dir_bins
        self.conv_cls = nn.Conv2d(in_channels, a * cfg.num_classes, 1)
        self.conv_box = nn.Conv2d(in_channels, a * 7, 1)
        self.conv_dir_cls = nn.Conv2d(in_channels, a * cfg.num_dir_bins, 1)
        nn.init.constant_(self.conv_cls.bias, -math.log((1 - cfg.cls_prior) / cfg.cls_prior))
        nn.init.normal_(self.conv_box.weight, mean=0.0, std=cfg.box_init_std)

    def forward(self, features: torch.Tensor) -> HeadOutput:
        b = features.shape[0]

        def per_anchor(conv: nn.Conv2d, width: int) -> torch.Tensor:
            return conv(features).permute(0, 2, 3, 1).reshape(b, -1, width)

        return HeadOutput(per_anchor(self.conv_cls, self.num_classes), per_anchor(self.conv_box, 7), per_anchor(self.conv_dir_cls, self.num_dir_bins))

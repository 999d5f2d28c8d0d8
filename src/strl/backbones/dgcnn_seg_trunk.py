"""The trunk the DGCNN segmentation encoders share (dgcnn.pytorch ``DGCNN_semseg`` / ``DGCNN_partseg``).

Three EdgeConv blocks on a dynamic k-NN graph, (conv1, conv2), (conv3, conv4) and (conv5), each
followed by a max over the ``k`` neighbours, then conv6 on ``cat(x1, x2, x3)``. The encoders'
feature is the maximum over points of conv6. The layers are registered as in the original:
``bn1..bnN`` first (``bnX`` is ``convX.1``, one BatchNorm registered twice), then ``conv1..``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from strl.backbones.edgeconv import conv_bn_lrelu_1d, conv_bn_lrelu_2d, edge_conv

#: (in, out) channels of conv1..conv5, the EdgeConv layers shared by the Semseg and Partseg encoders
EDGE_WIDTHS = ((6, 64), (64, 64), (128, 64), (64, 64), (128, 64))
LOCAL_DIMS = 3 * 64  # channels of cat(x1, x2, x3), the input of conv6


class PointFeatures(NamedTuple):
    """Per-point features of the DGCNN segmentation encoders, all ``(B, C, N)``."""

    x1: torch.Tensor  # (B, 64, N), EdgeConv block 1
    x2: torch.Tensor  # (B, 64, N), EdgeConv block 2
    x3: torch.Tensor  # (B, 64, N), EdgeConv block 3
    embedding: torch.Tensor  # (B, emb_dims, N), conv6 of cat(x1, x2, x3)

    def global_feature(self) -> torch.Tensor:
        """``(B, emb_dims)``: the maximum of ``embedding`` over points (the pre-training feature)."""
        return self.embedding.amax(dim=-1)

    def with_global(self) -> torch.Tensor:
        """``(B, emb_dims + 192, N)``: ``cat(global feature repeated over points, x1, x2, x3)``,
        the input of the downstream semantic-segmentation head (1216 channels by default)."""
        glob = self.global_feature().unsqueeze(-1).expand(-1, -1, self.x1.shape[-1])
        return torch.cat((glob, self.x1, self.x2, self.x3), dim=1)


def edge_layers(emb_dims: int) -> list[nn.Sequential]:
    """conv1..conv5 (EdgeConv MLP layers) and conv6 (``Conv1d(192, emb_dims)``), each conv-BN-LeakyReLU."""
    return [conv_bn_lrelu_2d(cin, cout) for cin, cout in EDGE_WIDTHS] + [conv_bn_lrelu_1d(LOCAL_DIMS, emb_dims)]


def three_block_features(module: nn.Module, x: torch.Tensor, k: int, first_idx: torch.Tensor | None = None) -> PointFeatures:
    """The shared trunk: ``(B, C, N)`` through EdgeConv blocks (conv1, conv2), (conv3, conv4),
    (conv5) of ``module``, each followed by a max over the ``k`` neighbours, then conv6.

    The first block's neighbours are the nearest in the space of ``x``, or ``first_idx`` ``(B, N, k)``."""
    x1 = edge_conv(x, k, [module.conv1, module.conv2], idx=first_idx)
    x2 = edge_conv(x1, k, [module.conv3, module.conv4])
    x3 = edge_conv(x2, k, [module.conv5])
    return PointFeatures(x1, x2, x3, module.conv6(torch.cat((x1, x2, x3), dim=1)))


def check_points(points: torch.Tensor, exact_channels: bool = True) -> None:
    """Raise ``ValueError`` unless ``points`` is ``(B, N, 3)`` (``(B, N, C >= 3)`` when not exact) with N > 0."""
    if points.ndim != 3 or points.shape[1] == 0 or points.shape[-1] < 3 or (exact_channels and points.shape[-1] != 3):
        want = "(B, N, 3)" if exact_channels else "(B, N, C) with C >= 3"
        raise ValueError(f"points must have shape {want} and N > 0, got {tuple(points.shape)}")


class SegmentationEncoder(nn.Module):
    """Base of the DGCNN segmentation encoders: ``points -> (B, emb_dims)``, the maximum over points
    of conv6. Subclasses register their layers with :meth:`register_layers` and define
    ``point_features(points) -> PointFeatures``."""

    def __init__(self, k: int, emb_dims: int):
        super().__init__()
        self.k = k
        self.emb_dims = emb_dims
        self.feature_dim = emb_dims

    def register_layers(self, convs: list[nn.Sequential], head_bns: list[nn.Module] = ()) -> None:
        """``bn1..``: the BatchNorm of each of ``convs`` then ``head_bns``; then ``conv1..``: ``convs``."""
        for i, bn in enumerate([conv[1] for conv in convs] + list(head_bns), start=1):
            setattr(self, f"bn{i}", bn)
        for i, conv in enumerate(convs, start=1):
            setattr(self, f"conv{i}", conv)

    def point_features(self, points: torch.Tensor) -> PointFeatures:
        raise NotImplementedError

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.point_features(points).global_feature()

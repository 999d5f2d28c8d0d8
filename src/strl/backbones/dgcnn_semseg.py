"""DGCNN semantic-segmentation encoder (three EdgeConv blocks on a dynamic k-NN graph).

The encoder of dgcnn.pytorch's ``DGCNN_semseg`` with xyz input, as STRL pre-trains it. Its
``state_dict`` has the original's 88 keys in the original order: ``bn1..bn8.*`` then
``conv1..conv8.{0,1}.*``, where ``bnX`` and ``convX.1`` are one BatchNorm registered twice.
``conv7``/``conv8`` (and so ``bn7``/``bn8``) belong to the segmentation head downstream; the
encoder never runs them, so their weights are never trained (see ``untrained_prefixes``).
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


def three_block_features(module: nn.Module, x: torch.Tensor, k: int) -> PointFeatures:
    """The shared trunk: ``(B, 3, N)`` through EdgeConv blocks (conv1, conv2), (conv3, conv4),
    (conv5) of ``module``, each followed by a max over the ``k`` neighbours, then conv6."""
    x1 = edge_conv(x, k, [module.conv1, module.conv2])
    x2 = edge_conv(x1, k, [module.conv3, module.conv4])
    x3 = edge_conv(x2, k, [module.conv5])
    return PointFeatures(x1, x2, x3, module.conv6(torch.cat((x1, x2, x3), dim=1)))


def check_points(points: torch.Tensor, exact_channels: bool = True) -> None:
    """Raise ``ValueError`` unless ``points`` is ``(B, N, 3)`` (``(B, N, C >= 3)`` when not exact) with N > 0."""
    if points.ndim != 3 or points.shape[1] == 0 or points.shape[-1] < 3 or (exact_channels and points.shape[-1] != 3):
        want = "(B, N, 3)" if exact_channels else "(B, N, C) with C >= 3"
        raise ValueError(f"points must have shape {want} and N > 0, got {tuple(points.shape)}")


class DGCNNSemSeg(nn.Module):
    """``(B, N, 3)`` -> ``(B, emb_dims)`` feature: the maximum over points of conv6.

    Works for any batch size (the original's ``squeeze`` turned B = 1 into a 1-D tensor).
    """

    #: state_dict prefixes of modules the encoder carries but never runs (left at their initial values)
    untrained_prefixes = ("conv7.", "conv8.", "bn7.", "bn8.")

    def __init__(self, k: int = 20, emb_dims: int = 1024):
        super().__init__()
        self.k = k
        self.emb_dims = emb_dims
        self.feature_dim = emb_dims
        convs = edge_layers(emb_dims) + [
            conv_bn_lrelu_1d(emb_dims + LOCAL_DIMS, 512),  # conv7, the head's first layer downstream
            conv_bn_lrelu_1d(512, 256),  # conv8
        ]
        # BatchNorms first so the state_dict order is bn1..bn8, conv1..conv8 like the original.
        for i, conv in enumerate(convs, start=1):
            setattr(self, f"bn{i}", conv[1])
        for i, conv in enumerate(convs, start=1):
            setattr(self, f"conv{i}", conv)

    def point_features(self, points: torch.Tensor) -> PointFeatures:
        """Per-point features of ``(B, N, 3)`` points: x1, x2, x3 ``(B, 64, N)`` and conv6 ``(B, emb_dims, N)``."""
        check_points(points)
        return three_block_features(self, points.transpose(1, 2), self.k)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.point_features(points).global_feature()


# Registry line for strl.backbones.__init__:
# BACKBONES.register("dgcnn-semseg")(lambda k=20, emb_dims=1024, **_: DGCNNSemSeg(k=k, emb_dims=emb_dims))

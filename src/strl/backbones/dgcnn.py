"""DGCNN classification encoder (four EdgeConv layers on a dynamic k-NN graph).

State-dict keys match the original exactly (55 keys): ``bn1..bn5.*`` and ``conv1..conv5.{0,1}.*``,
where ``bnX`` and ``convX.1`` are the same BatchNorm module registered twice.
"""

from __future__ import annotations

import torch
from torch import nn

from strl.backbones.edgeconv import alias_batchnorms, conv_bn_lrelu_1d, conv_bn_lrelu_2d, edge_conv


class DGCNN(nn.Module):
    """``(B, N, 3)`` -> ``(B, 2 * emb_dims)`` feature: ``cat(max, mean)`` over points of conv5."""

    def __init__(self, k: int = 20, emb_dims: int = 1024):
        super().__init__()
        self.k = k
        self.emb_dims = emb_dims
        self.feature_dim = 2 * emb_dims
        # BatchNorms first so the state_dict order is bn1..bn5, conv1..conv5 like the original.
        widths = [(6, 64), (128, 64), (128, 128), (256, 256)]
        convs = [conv_bn_lrelu_2d(cin, cout) for cin, cout in widths] + [conv_bn_lrelu_1d(512, emb_dims)]
        for i, conv in enumerate(convs, start=1):
            setattr(self, f"bn{i}", conv[1])
        for i, conv in enumerate(convs, start=1):
            setattr(self, f"conv{i}", conv)

    def point_features(self, points: torch.Tensor) -> torch.Tensor:
        """Per-point features ``(B, N, 3) -> (B, emb_dims, N)``."""
        x = points.transpose(1, 2)
        outs = []
        for i in range(1, 5):
            x = edge_conv(x, self.k, [getattr(self, f"conv{i}")])
            outs.append(x)
        return self.conv5(torch.cat(outs, dim=1))

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        x = self.point_features(points)
        return torch.cat((x.amax(dim=-1), x.mean(dim=-1)), dim=1)

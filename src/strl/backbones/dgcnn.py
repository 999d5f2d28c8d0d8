"""DGCNN classification encoder (four EdgeConv layers on a dynamic k-NN graph).

State-dict keys match the original exactly (55 keys): ``bn1..bn5.*`` and ``conv1..conv5.{0,1}.*``,
where ``bnX`` and ``convX.1`` are the same BatchNorm module registered twice.

The forward pass runs the fused EdgeConv of :mod:`strl.backbones.fused_edgeconv` on ``(B*N, C)``
point tables (``fused=True``, the default), or the original ``(B, 2C, N, k)`` computation
(``fused=False``); both give the same results and gradients up to floating-point rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.defaults import DEFAULT_K
from strl.backbones.edgeconv import conv_bn_lrelu_1d, conv_bn_lrelu_2d, edge_conv
from strl.backbones.fused_edgeconv import NeighbourGraph, fused_edge_conv, knn_indices


class DGCNN(nn.Module):
    """``(B, N, 3)`` -> ``(B, 2 * emb_dims)`` feature: ``cat(max, mean)`` over points of conv5.

    ``fused``: fused EdgeConv (default) or the original computation; a plain attribute that can
    be switched on a built model.
    """

    def __init__(self, k: int = DEFAULT_K["dgcnn"], emb_dims: int = 1024, fused: bool = True):
        super().__init__()
        self.k = k
        self.fused = fused
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
        if self.fused:
            return self._fused_point_tables(points).transpose(1, 2)
        x = points.transpose(1, 2)
        outs = []
        for i in range(1, 5):
            x = edge_conv(x, self.k, [getattr(self, f"conv{i}")], fused=False)
            outs.append(x)
        return self.conv5(torch.cat(outs, dim=1))

    def _fused_point_tables(self, points: torch.Tensor) -> torch.Tensor:
        """conv5 output with points first: ``(B, N, 3) -> (B, N, emb_dims)``."""
        b, n, _ = points.shape
        x = points
        outs = []
        for i in range(1, 5):
            graph = NeighbourGraph.from_indices(knn_indices(x, self.k))
            x = fused_edge_conv(x, graph, getattr(self, f"conv{i}"))  # (B, N, C')
            outs.append(x)
        conv, bn, act = self.conv5
        h = torch.cat(outs, dim=-1).view(b * n, -1) @ conv.weight.squeeze(-1).t()  # (B*N, emb_dims)
        if conv.bias is not None:
            h = h + conv.bias
        h = F.leaky_relu(bn(h), act.negative_slope, inplace=True)  # BatchNorm1d on (B*N, C): same statistics
        return h.view(b, n, -1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        if self.fused:
            x = self._fused_point_tables(points)
            return torch.cat((x.max(dim=1).values, x.mean(dim=1)), dim=1)
        x = self.point_features(points)
        return torch.cat((x.amax(dim=-1), x.mean(dim=-1)), dim=1)

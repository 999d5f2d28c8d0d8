"""Dynamic-graph building blocks shared by the DGCNN encoders.

:func:`graph_feature` builds the original ``(B, 2C, N, k)`` edge tensor (the reference path);
:func:`edge_conv` by default goes through :mod:`strl.backbones.fused_edgeconv`, which gives the same
results without it.
"""

from __future__ import annotations

import torch
from torch import nn

from strl.backbones.fused_edgeconv import NeighbourGraph, can_fuse, fused_edge_conv, knn_indices, linear_edge_features
from strl.ops.knn import gather_neighbours, knn


def conv_bn_lrelu_2d(cin: int, cout: int) -> nn.Sequential:
    """``Sequential(Conv2d(cin, cout, 1, bias=False), BatchNorm2d, LeakyReLU(0.2))``, the EdgeConv MLP layer."""
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def conv_bn_lrelu_1d(cin: int, cout: int) -> nn.Sequential:
    """``Sequential(Conv1d(cin, cout, 1, bias=False), BatchNorm1d, LeakyReLU(0.2))``."""
    return nn.Sequential(nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout), nn.LeakyReLU(0.2))


def graph_feature(x: torch.Tensor, k: int, idx: torch.Tensor | None = None) -> torch.Tensor:
    """EdgeConv input ``cat(x_j - x_i, x_i)``: ``(B, C, N) -> (B, 2C, N, k)``.

    Neighbours are the ``k`` nearest points in feature space (the point itself first), or ``idx``
    ``(B, N, k)`` when given.
    """
    pts = x.transpose(1, 2)  # (B, N, C)
    if idx is None:
        idx = knn(pts, k)
    nbrs = gather_neighbours(pts, idx)  # (B, N, k, C)
    centre = pts.unsqueeze(2).expand_as(nbrs)
    return torch.cat((nbrs - centre, centre), dim=-1).permute(0, 3, 1, 2).contiguous()


def edge_conv(x: torch.Tensor, k: int, layers: list[nn.Module], fused: bool = True, idx: torch.Tensor | None = None) -> torch.Tensor:
    """One EdgeConv block: graph feature, the ``layers`` in turn, max over neighbours. ``(B, C, N) -> (B, C', N)``.

    Neighbours: the ``k`` nearest in the space of ``x``, or ``idx`` ``(B, N, k)`` when given.

    ``fused`` (default): when ``layers`` is one ``Conv2d-BatchNorm2d-LeakyReLU`` layer, computed by
    :func:`~strl.backbones.fused_edgeconv.fused_edge_conv` without any ``(B, C, N, k)`` tensor;
    otherwise the first convolution is applied to the points before the neighbour gather.
    ``fused=False`` is the original computation.
    """
    if not fused:
        h = graph_feature(x, k, idx=idx)
        for layer in layers:
            h = layer(h)
        return h.amax(dim=-1)
    pts = x.transpose(1, 2)  # (B, N, C)
    if idx is None:
        idx = knn_indices(pts, k)
    graph = NeighbourGraph.from_indices(idx)
    if len(layers) == 1 and can_fuse(layers[0]):
        return fused_edge_conv(pts, graph, layers[0]).transpose(1, 2)
    first = layers[0]
    conv = first[0] if isinstance(first, nn.Sequential) else None
    if isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1) and conv.groups == 1:
        h = first[1:](linear_edge_features(pts, graph, conv))
    else:
        h = first(graph_feature(x, k, idx=idx))
    for layer in layers[1:]:
        h = layer(h)
    return h.amax(dim=-1)

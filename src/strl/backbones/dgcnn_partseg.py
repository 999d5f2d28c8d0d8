"""DGCNN part-segmentation encoder: a learned 3x3 input transform, then the Semseg trunk.

The encoder of dgcnn.pytorch's ``DGCNN_partseg`` as STRL pre-trains it. Its ``state_dict`` has
the original's 128 keys in the original order: ``transform_net.*`` (42), ``bn1..bn10.*``, then
``conv1..conv6.{0,1}.*``. ``bn7..bn10`` belong to the segmentation head downstream; the encoder
never runs them, so they stay at their initial values (see ``untrained_prefixes``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.defaults import DEFAULT_K
from strl.backbones.dgcnn_seg_trunk import (
    PointFeatures,
    SegmentationEncoder,
    check_points,
    edge_layers,
    three_block_features,
)
from strl.backbones.edgeconv import conv_bn_lrelu_1d, conv_bn_lrelu_2d, graph_feature


class TransformNet(nn.Module):
    """Spatial transformer: EdgeConv input ``(B, 6, N, k)`` -> a ``(B, 3, 3)`` matrix, identity at init.

    Key quirk kept from the original: ``bn1``/``bn2`` alias ``conv1.1``/``conv2.1``, but ``bn3`` is
    the 512-channel BatchNorm after ``linear1``; conv3's 1024-channel one exists only as ``conv3.1``.
    """

    def __init__(self):
        super().__init__()
        conv1, conv2 = conv_bn_lrelu_2d(6, 64), conv_bn_lrelu_2d(64, 128)
        self.bn1 = conv1[1]
        self.bn2 = conv2[1]
        self.bn3 = nn.BatchNorm1d(512)
        self.conv1 = conv1
        self.conv2 = conv2
        self.conv3 = conv_bn_lrelu_1d(128, 1024)
        self.linear1 = nn.Linear(1024, 512, bias=False)
        self.linear2 = nn.Linear(512, 256, bias=False)
        self.bn4 = nn.BatchNorm1d(256)
        self.transform = nn.Linear(256, 9)
        nn.init.zeros_(self.transform.weight)
        with torch.no_grad():
            self.transform.bias.copy_(torch.eye(3).flatten())

    def forward(self, edges: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.conv1(edges)).amax(dim=-1)  # (B, 128, N)
        x = self.conv3(x).amax(dim=-1)  # (B, 1024)
        x = F.leaky_relu(self.bn3(self.linear1(x)), 0.2)
        x = F.leaky_relu(self.bn4(self.linear2(x)), 0.2)
        return self.transform(x).view(-1, 3, 3)


class DGCNNPartSeg(SegmentationEncoder):
    """``(B, N, C)`` with ``C >= 3`` -> ``(B, emb_dims)`` feature; only xyz (the first 3 channels) is used.

    The xyz are multiplied by the learned 3x3 transform, then run through the three EdgeConv
    blocks and conv6 of the trunk shared with :class:`~strl.backbones.dgcnn_semseg.DGCNNSemSeg`
    (:mod:`strl.backbones.dgcnn_seg_trunk`); the feature is the maximum over points. In training
    mode the transform net's BatchNorm1d needs B >= 2 (as any BatchNorm1d on pooled features);
    in eval mode B = 1 works.
    """

    #: state_dict prefixes of modules the encoder carries but never runs (left at their initial values)
    untrained_prefixes = ("bn7.", "bn8.", "bn9.", "bn10.")

    def __init__(self, k: int = DEFAULT_K["dgcnn-partseg"], emb_dims: int = 1024):
        super().__init__(k, emb_dims)
        self.transform_net = TransformNet()
        convs = edge_layers(emb_dims)
        unused = [nn.BatchNorm1d(c) for c in (64, 256, 256, 128)]  # bn7..bn10, the head's downstream
        self.register_layers(convs, unused)

    def align(self, points: torch.Tensor) -> torch.Tensor:
        """The transformed xyz ``(B, N, 3)`` of ``(B, N, C)`` points: ``xyz @ T`` with T from the transform net."""
        check_points(points, exact_channels=False)
        xyz = points[..., :3]
        t = self.transform_net(graph_feature(xyz.transpose(1, 2), self.k))
        return torch.bmm(xyz, t)

    def point_features(self, points: torch.Tensor) -> PointFeatures:
        """Per-point features of ``(B, N, C)`` points: x1, x2, x3 ``(B, 64, N)`` and conv6 ``(B, emb_dims, N)``."""
        return three_block_features(self, self.align(points).transpose(1, 2), self.k)

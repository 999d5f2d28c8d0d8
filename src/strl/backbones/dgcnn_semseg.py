"""DGCNN semantic-segmentation encoder (three EdgeConv blocks on a dynamic k-NN graph).

The encoder of dgcnn.pytorch's ``DGCNN_semseg`` with xyz input, as STRL pre-trains it. Its
``state_dict`` has the original's 88 keys in the original order: ``bn1..bn8.*`` then
``conv1..conv8.{0,1}.*``, where ``bnX`` and ``convX.1`` are one BatchNorm registered twice.
``conv7``/``conv8`` (and so ``bn7``/``bn8``) belong to the segmentation head downstream; the
encoder never runs them, so their weights are never trained (see ``untrained_prefixes``).
The trunk it shares with the Partseg encoder is :mod:`strl.backbones.dgcnn_seg_trunk`.
"""

from __future__ import annotations

import torch

from strl.backbones.defaults import DEFAULT_K
from strl.backbones.dgcnn_seg_trunk import (
    LOCAL_DIMS,
    PointFeatures,
    SegmentationEncoder,
    check_points,
    edge_layers,
    three_block_features,
)
from strl.backbones.edgeconv import conv_bn_lrelu_1d


class DGCNNSemSeg(SegmentationEncoder):
    """``(B, N, 3)`` -> ``(B, emb_dims)`` feature: the maximum over points of conv6.

    Works for any batch size (the original's ``squeeze`` turned B = 1 into a 1-D tensor).
    """

    #: state_dict prefixes of modules the encoder carries but never runs (left at their initial values)
    untrained_prefixes = ("conv7.", "conv8.", "bn7.", "bn8.")

    def __init__(self, k: int = DEFAULT_K["dgcnn-semseg"], emb_dims: int = 1024):
        super().__init__(k, emb_dims)
        self.register_layers(edge_layers(emb_dims) + [
            conv_bn_lrelu_1d(emb_dims + LOCAL_DIMS, 512),  # conv7, the head's first layer downstream
            conv_bn_lrelu_1d(512, 256),  # conv8
        ])

    def point_features(self, points: torch.Tensor) -> PointFeatures:
        """Per-point features of ``(B, N, 3)`` points: x1, x2, x3 ``(B, 64, N)`` and conv6 ``(B, emb_dims, N)``."""
        check_points(points)
        return three_block_features(self, points.transpose(1, 2), self.k)

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
from strl.backbones.fused_edgeconv import knn_indices


class DGCNNSemSeg(SegmentationEncoder):
    """``(B, N, 3)`` -> ``(B, emb_dims)`` feature: the maximum over points of conv6.

    Works for any batch size (the original's ``squeeze`` turned B = 1 into a 1-D tensor).
    After :meth:`widen_input` it takes ``(B, N, C)`` points whose first three channels are xyz
    (e.g. S3DIS's 9 channels); the first k-NN graph is then built on those xyz channels.
    """

    #: state_dict prefixes of modules the encoder carries but never runs (left at their initial values)
    untrained_prefixes = ("conv7.", "conv8.", "bn7.", "bn8.")

    def __init__(self, k: int = DEFAULT_K["dgcnn-semseg"], emb_dims: int = 1024):
        super().__init__(k, emb_dims)
        self.register_layers(edge_layers(emb_dims) + [
            conv_bn_lrelu_1d(emb_dims + LOCAL_DIMS, 512),  # conv7, the head's first layer downstream
            conv_bn_lrelu_1d(512, 256),  # conv8
        ])

    @property
    def in_channels(self) -> int:
        """Channels per input point: 3 (xyz) unless :meth:`widen_input` added more."""
        return self.conv1[0].in_channels // 2

    def widen_input(self, in_channels: int) -> None:
        """Take ``(B, N, in_channels)`` points whose first three channels are xyz.

        conv1's weight grows from ``(64, 6, 1, 1)`` to ``(64, 2 * in_channels, 1, 1)`` (the EdgeConv
        input is ``cat(x_j - x_i, x_i)``): the xyz weights keep their slots and the new channels
        start at zero weight, so until they are trained the encoder computes what it did on xyz.
        """
        old = self.conv1[0]
        c = self.in_channels
        if in_channels == c:
            return
        if in_channels < c:
            raise ValueError(f"cannot narrow the input from {c} to {in_channels} channels")
        new = torch.nn.Conv2d(2 * in_channels, old.out_channels, 1, bias=False).to(old.weight)
        with torch.no_grad():
            new.weight.zero_()
            new.weight[:, :c] = old.weight[:, :c]  # x_j - x_i
            new.weight[:, in_channels : in_channels + c] = old.weight[:, c:]  # x_i
        self.conv1[0] = new

    def point_features(self, points: torch.Tensor) -> PointFeatures:
        """Per-point features of ``(B, N, in_channels)`` points: x1, x2, x3 ``(B, 64, N)`` and conv6 ``(B, emb_dims, N)``.

        The first k-NN graph is built on xyz (the first three channels) whatever ``in_channels``:
        with S3DIS's 9 channels these are the block-centred metric coordinates, so distances are
        true distances (the room-normalised xyz of channels 6:9, which dgcnn.pytorch uses, are
        scaled differently per axis and per room), and a widened encoder whose new weights are
        still zero computes exactly what the xyz encoder does.
        """
        check_points(points, exact_channels=self.in_channels == 3)
        if points.shape[-1] != self.in_channels:
            raise ValueError(f"points must have {self.in_channels} channels, got {tuple(points.shape)}")
        first_idx = None if self.in_channels == 3 else knn_indices(points[..., :3], self.k)
        return three_block_features(self, points.transpose(1, 2), self.k, first_idx)

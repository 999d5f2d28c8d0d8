"""Semantic segmentation: dgcnn.pytorch's ``DGCNN_semseg`` around strl's Semseg encoder.

Head (reference names): the encoder's ``conv7`` (1216 -> 512) on the global feature and x1, x2,
x3, its ``conv8`` (512 -> 256), ``dp1``, then ``conv9`` (256 -> classes, no bias). With xyz input
(STRL's setting) the state_dict has 89 keys, conv1 ``(64, 6, 1, 1)``; with S3DIS's 9 channels it
is AnTao's ``DGCNN_semseg_s3dis`` layout, conv1 ``(64, 18, 1, 1)``, 983,552 parameters.

k-NN of the first EdgeConv: on xyz (the first three channels), not on channels 6:9 as in
dgcnn.pytorch's S3DIS model (see :meth:`strl.backbones.dgcnn_semseg.DGCNNSemSeg.point_features`):
S3DIS's channels 0:3 are metric block-centred coordinates, and with them a 9-channel model fresh
from xyz weights computes exactly what the xyz model does.
"""

from __future__ import annotations

import torch
from torch import nn

from strl.backbones.dgcnn_semseg import DGCNNSemSeg
from strl.models.base import TaskModel, conv_on_global_and_local


class SemanticSegmenter(TaskModel):
    """``(B, N, in_channels)`` points -> ``(B, N, num_classes)`` logits.

    ``in_channels > 3`` widens the encoder's conv1 in place (:meth:`DGCNNSemSeg.widen_input`):
    the xyz weights keep their slots, the other channels start at zero weight.
    """

    def __init__(self, encoder: DGCNNSemSeg, num_classes: int = 13, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        if not isinstance(encoder, DGCNNSemSeg):
            raise TypeError(f"SemanticSegmenter needs a DGCNNSemSeg encoder, got {type(encoder).__name__}")
        encoder.widen_input(in_channels)
        self.encoder = encoder
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.dp1 = nn.Dropout(dropout)
        self.conv9 = nn.Conv1d(256, num_classes, 1, bias=False)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        feats = self.encoder.point_features(points)
        h = conv_on_global_and_local(self.encoder.conv7, feats.global_feature(), torch.cat((feats.x1, feats.x2, feats.x3), dim=1))
        return self.conv9(self.dp1(self.encoder.conv8(h))).transpose(1, 2)

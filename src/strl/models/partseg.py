"""ShapeNetPart part segmentation: dgcnn.pytorch's ``DGCNN_partseg`` around strl's Partseg encoder.

Head (reference names; ``bn7..bn10`` are the BatchNorms the encoder already carries): the
category one-hot through ``conv7`` (16 -> 64); ``conv8`` (1280 -> 256) on the global feature, the
category feature and x1, x2, x3, then ``dp1``; ``conv9`` (256 -> 256), ``dp2``; ``conv10``
(256 -> 128); ``conv11`` (128 -> parts, no bias). With 50 parts and k = 40: 153 keys,
1,460,361 parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.dgcnn_partseg import DGCNNPartSeg
from strl.backbones.dgcnn_seg_trunk import LOCAL_DIMS
from strl.models.base import TaskModel, conv_on_global_and_local

CATEGORY_DIMS = 64  # channels of conv7, the category feature


def _conv_bn_lrelu(cin: int, cout: int, bn: nn.BatchNorm1d) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(cin, cout, 1, bias=False), bn, nn.LeakyReLU(0.2))


class PartSegmenter(TaskModel):
    """``(B, N, 3)`` points and ``(B,)`` int64 categories -> ``(B, N, num_parts)`` logits.

    The logits cover all parts of all categories, as in dgcnn.pytorch; see
    :func:`strl.metrics.segmentation.restrict_to_category` for the argmax over one category's
    parts. In training mode ``B >= 2`` (conv7's BatchNorm sees one value per cloud).
    """

    def __init__(self, encoder: DGCNNPartSeg, num_parts: int = 50, num_categories: int = 16, dropout: float = 0.5):
        super().__init__()
        if not isinstance(encoder, DGCNNPartSeg):
            raise TypeError(f"PartSegmenter needs a DGCNNPartSeg encoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.num_parts = num_parts
        self.num_categories = num_categories
        self.conv7 = _conv_bn_lrelu(num_categories, CATEGORY_DIMS, encoder.bn7)
        self.conv8 = _conv_bn_lrelu(encoder.emb_dims + CATEGORY_DIMS + LOCAL_DIMS, 256, encoder.bn8)
        self.dp1 = nn.Dropout(dropout)
        self.conv9 = _conv_bn_lrelu(256, 256, encoder.bn9)
        self.dp2 = nn.Dropout(dropout)
        self.conv10 = _conv_bn_lrelu(256, 128, encoder.bn10)
        self.conv11 = nn.Conv1d(128, num_parts, 1, bias=False)

    def forward(self, points: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        feats = self.encoder.point_features(points)
        one_hot = F.one_hot(category, self.num_categories).to(feats.embedding.dtype).unsqueeze(-1)  # (B, 16, 1)
        label = self.conv7(one_hot).squeeze(-1)  # (B, 64)
        glob = torch.cat((feats.global_feature(), label), dim=1)  # (B, emb_dims + 64)
        h = conv_on_global_and_local(self.conv8, glob, torch.cat((feats.x1, feats.x2, feats.x3), dim=1))
        h = self.dp2(self.conv9(self.dp1(h)))
        return self.conv11(self.conv10(h)).transpose(1, 2)

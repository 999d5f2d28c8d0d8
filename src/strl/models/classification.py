"""Object classification: a pre-trained encoder and the MLP head of the reference classifiers.

The head and its state_dict keys are those of WangYueFt/dgcnn (``model.py``):

* DGCNN: ``linear1`` (2048 -> 512, no bias), ``bn6``, LeakyReLU 0.2, ``dp1``, ``linear2`` (512 -> 256),
  ``bn7``, LeakyReLU 0.2, ``dp2``, ``linear3`` (256 -> C). With C = 40: 70 keys, 1,809,576 parameters.
* PointNet: ``linear1`` (emb -> 512, no bias), ``bn6``, ReLU, ``dp1``, ``linear2`` (512 -> C).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.dgcnn import DGCNN
from strl.backbones.pointnet import PointNet
from strl.models.base import TaskModel

#: encoder class -> (hidden widths, negative slope of the activation) of its reference head
CLASSIFIER_HEADS = {DGCNN: ((512, 256), 0.2), PointNet: ((512,), 0.0)}


class Classifier(TaskModel):
    """``(B, N, 3)`` points -> ``(B, num_classes)`` logits.

    ``encoder``: a :class:`~strl.backbones.dgcnn.DGCNN` or :class:`~strl.backbones.pointnet.PointNet`
    (pooled feature ``(B, encoder.feature_dim)``), used as it is. Hidden stage ``i`` is
    ``linear{i}`` (bias only after the first), ``bn{5+i}``, LeakyReLU (ReLU for PointNet) and
    ``dp{i}``; the last layer is ``linear{stages+1}``. In training mode the head's BatchNorms need
    ``B >= 2``.
    """

    def __init__(self, encoder: nn.Module, num_classes: int, dropout: float = 0.5):
        super().__init__()
        head = CLASSIFIER_HEADS.get(type(encoder))
        if head is None:
            known = ", ".join(cls.__name__ for cls in CLASSIFIER_HEADS)
            raise TypeError(f"no classification head for a {type(encoder).__name__} encoder (known: {known})")
        widths, self.negative_slope = head
        self.encoder = encoder
        self.num_classes = num_classes
        self.stages = len(widths)
        dims = (encoder.feature_dim, *widths)
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            setattr(self, f"linear{i}", nn.Linear(cin, cout, bias=i > 1))
            setattr(self, f"bn{5 + i}", nn.BatchNorm1d(cout))
            setattr(self, f"dp{i}", nn.Dropout(dropout))
        setattr(self, f"linear{self.stages + 1}", nn.Linear(dims[-1], num_classes))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, feature_dim)`` encoder features -> ``(B, num_classes)`` logits."""
        h = features
        for i in range(1, self.stages + 1):
            h = getattr(self, f"bn{5 + i}")(getattr(self, f"linear{i}")(h))
            h = getattr(self, f"dp{i}")(F.leaky_relu(h, self.negative_slope))
        return getattr(self, f"linear{self.stages + 1}")(h)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(points))

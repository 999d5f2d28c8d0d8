"""The reference DGCNN classification training step and strl's, for speed comparisons.

The reference (WangYueFt/dgcnn ``pytorch/main.py`` and ``model.py``), re-implemented faithfully:

- ``DGCNN_cls`` on ``(B, 3, N)`` input (the training loop permutes ``(B, N, 3)`` batches): four
  EdgeConvs, each on the full ``(B, 2C, N, k)`` edge tensor of ``get_graph_feature`` through
  Conv2d-BatchNorm2d-LeakyReLU(0.2) and a max over neighbours, conv5, max ‖ mean pooling, then the
  head ``linear1``-``bn6``-LeakyReLU-dropout-``linear2``-``bn7``-LeakyReLU-dropout-``linear3``
  (the encoder is :class:`strl.bench.original_step.OriginalDGCNN`, shared with the pre-training
  benchmark);
- the loss ``cal_loss``: cross-entropy with label smoothing 0.2
  (:func:`strl.models.losses.smoothed_cross_entropy`);
- SGD over all parameters, lr 0.1 (``100 * --lr``), momentum 0.9, weight decay 1e-4;
- per step: ``zero_grad``, forward, loss, backward, optimizer step, and the loss read back to
  the host (``loss.item()``, as the training loop's bookkeeping does).

strl's step is the same model, loss and optimizer with :class:`strl.models.Classifier` around the
fused DGCNN encoder, on ``(B, N, 3)`` input. Both models have the reference state_dict keys, so
weights can be copied across (:meth:`ClassificationStep.reference_state_dict`). Not for training.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.dgcnn import DGCNN
from strl.bench.original_step import OriginalDGCNN
from strl.models.classification import Classifier
from strl.models.losses import smoothed_cross_entropy

#: the reference recipe's optimizer and loss settings
LR, MOMENTUM, WEIGHT_DECAY, SMOOTHING = 0.1, 0.9, 1e-4, 0.2


class OriginalDGCNNCls(OriginalDGCNN):
    """The reference ``DGCNN`` classifier: ``(B, 3, N) -> (B, num_classes)``; its 70 state_dict keys."""

    def __init__(self, k: int = 20, emb_dims: int = 1024, num_classes: int = 40, dropout: float = 0.5):
        super().__init__(k, emb_dims)
        self.linear1 = nn.Linear(emb_dims * 2, 512, bias=False)
        self.bn6 = nn.BatchNorm1d(512)
        self.dp1 = nn.Dropout(p=dropout)
        self.linear2 = nn.Linear(512, 256)
        self.bn7 = nn.BatchNorm1d(256)
        self.dp2 = nn.Dropout(p=dropout)
        self.linear3 = nn.Linear(256, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x)
        x = self.dp1(F.leaky_relu(self.bn6(self.linear1(x)), negative_slope=0.2))
        x = self.dp2(F.leaky_relu(self.bn7(self.linear2(x)), negative_slope=0.2))
        return self.linear3(x)


class ClassificationStep:
    """One training step of a classifier: ``step((B, N, 3) points, (B,) labels) -> loss``.

    ``channels_first``: the model takes ``(B, 3, N)`` (the reference), permuted inside the step.
    ``autocast``: a dtype to run forward and loss under ``torch.autocast`` (strl only), or None.
    """

    def __init__(self, model: nn.Module, channels_first: bool, autocast: torch.dtype | None = None):
        self.model = model
        self.channels_first = channels_first
        self.autocast = autocast
        self.optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)

    def _cast(self, device_type: str):
        return nullcontext() if self.autocast is None else torch.autocast(device_type, dtype=self.autocast)

    def logits(self, points: torch.Tensor) -> torch.Tensor:
        """``(B, N, 3)`` -> ``(B, num_classes)``."""
        return self.model(points.permute(0, 2, 1) if self.channels_first else points)

    def loss(self, points: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        with self._cast(points.device.type):
            return smoothed_cross_entropy(self.logits(points), labels, SMOOTHING)

    def step(self, points: torch.Tensor, labels: torch.Tensor) -> float:
        self.optimizer.zero_grad()
        loss = self.loss(points, labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def reference_state_dict(self) -> dict:
        """The model's weights under the reference keys."""
        model = self.model
        return model.downstream_state_dict() if isinstance(model, Classifier) else model.state_dict()

    def load_reference_state_dict(self, state: dict) -> None:
        model = self.model
        if isinstance(model, Classifier):
            model.load_downstream_state_dict(state)
        else:
            model.load_state_dict(state)


def original_classification_step(k: int = 20, emb_dims: int = 1024, num_classes: int = 40) -> ClassificationStep:
    """The reference step (see the module docstring)."""
    return ClassificationStep(OriginalDGCNNCls(k, emb_dims, num_classes), channels_first=True)


def strl_classification_step(k: int = 20, emb_dims: int = 1024, num_classes: int = 40,
                             autocast: torch.dtype | None = None) -> ClassificationStep:
    """strl's step: :class:`~strl.models.Classifier` around the fused :class:`~strl.backbones.dgcnn.DGCNN`,
    same loss and optimizer as the reference."""
    return ClassificationStep(Classifier(DGCNN(k=k, emb_dims=emb_dims), num_classes), channels_first=False, autocast=autocast)

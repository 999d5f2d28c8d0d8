"""The anchor head's losses (OpenPCDet ``AnchorHeadTemplate.get_loss``), as pure functions of tensors.

Each frame's terms are divided by its number of positive anchors (at least 1), then the sum over
the batch is divided by the batch size:

- classification: sigmoid focal loss over the classes, one-hot targets (background = all zeros),
  weight 1 on positives and negatives, 0 on ignored anchors;
- box regression: weighted SmoothL1 on the positives' residuals, the heading compared through
  ``sin(a - b) = sin a cos b - cos a sin b`` (prediction channel ``sin a cos b``, target channel
  ``cos a sin b``);
- direction: cross-entropy of the direction bins on the positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from strl.detection.pointpillars.anchor_head import HeadOutput
from strl.detection.pointpillars.box_coder import direction_targets
from strl.detection.pointpillars.config import PointPillarsConfig
from strl.detection.pointpillars.targets import AnchorTargets


def sigmoid_focal_loss(logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Element-wise focal loss ``alpha_t (1 - p_t)^gamma BCE(logits, targets)`` (same shape as ``logits``)."""
    p = torch.sigmoid(logits)
    alpha_t = targets * alpha + (1 - targets) * (1 - alpha)
    one_minus_pt = targets * (1 - p) + (1 - targets) * p
    bce = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    return alpha_t * one_minus_pt.pow(gamma) * bce


def smooth_l1(diff: torch.Tensor, beta: float) -> torch.Tensor:
    """Element-wise ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``."""
    n = diff.abs()
    return torch.where(n < beta, 0.5 * n * n / beta, n - 0.5 * beta)


def sin_difference(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace heading channel 6 of ``pred`` by ``sin p cos t`` and of ``target`` by ``cos p sin t`` (``(..., 7)`` each)."""
    p, t = pred[..., 6:7], target[..., 6:7]
    return (
        torch.cat([pred[..., :6], torch.sin(p) * torch.cos(t), pred[..., 7:]], dim=-1),
        torch.cat([target[..., :6], torch.cos(p) * torch.sin(t), target[..., 7:]], dim=-1),
    )


@dataclass
class LossParts:
    total: torch.Tensor
    cls: torch.Tensor
    box: torch.Tensor
    dir: torch.Tensor

    def logs(self) -> dict[str, float]:
        return {name: float(getattr(self, part).detach()) for name, part in (("loss", "total"), ("loss_cls", "cls"), ("loss_box", "box"), ("loss_dir", "dir"))}


def detection_loss(out: HeadOutput, targets: AnchorTargets, anchors: torch.Tensor, cfg: PointPillarsConfig) -> LossParts:
    """Weighted sum ``cls_weight * cls + loc_weight * box + dir_weight * dir`` for head outputs
    ``(B, A, .)``, targets ``(B, A, .)`` and anchors ``(A, 7)``."""
    labels = targets.labels
    batch = labels.shape[0]
    positive = labels > 0
    per_frame = positive.sum(dim=1, keepdim=True).to(out.cls.dtype).clamp(min=1.0)  # (B, 1)
    pos_weight = positive.to(out.cls.dtype) / per_frame

    cls_weight = (labels >= 0).to(out.cls.dtype) / per_frame
    one_hot = F.one_hot(labels.clamp(min=0), cfg.num_classes + 1)[..., 1:].to(out.cls.dtype)
    cls = (sigmoid_focal_loss(out.cls, one_hot, cfg.focal_alpha, cfg.focal_gamma) * cls_weight[..., None]).sum() / batch

    pred, target = sin_difference(out.box, targets.boxes.to(out.box.dtype))
    code_weights = torch.as_tensor(cfg.code_weights, dtype=pred.dtype, device=pred.device)
    box = (smooth_l1((pred - target) * code_weights, cfg.smooth_l1_beta) * pos_weight[..., None]).sum() / batch

    heading = targets.boxes[..., 6] + anchors[None, :, 6]
    dir_target = direction_targets(heading, cfg.dir_offset, cfg.num_dir_bins)
    ce = F.cross_entropy(out.dir.reshape(-1, cfg.num_dir_bins), dir_target.reshape(-1), reduction="none").view_as(pos_weight)
    direction = (ce * pos_weight).sum() / batch

    cls, box, direction = cls * cfg.cls_weight, box * cfg.loc_weight, direction * cfg.dir_weight
    return LossParts(cls + box + direction, cls, box, direction)

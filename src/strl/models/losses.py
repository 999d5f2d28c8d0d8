"""Losses of the downstream tasks, as pure functions of tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def smoothed_cross_entropy(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.2,
                           ignore_index: int | None = None) -> torch.Tensor:
    """Cross-entropy with DGCNN's label smoothing: ``(..., C)`` logits, ``(...)`` int64 targets -> ``()``.

    The target distribution is ``1 - smoothing`` on the gold class and ``smoothing / (C - 1)`` on
    every other class (``cal_loss`` of WangYueFt/dgcnn and dgcnn.pytorch, with ``smoothing=0.2``
    there). This is not ``F.cross_entropy(label_smoothing=s)``, which spreads ``s`` over all ``C``
    classes (``1 - s + s / C`` on the gold one); the two agree for ``s = smoothing * C / (C - 1)``.
    ``smoothing=0`` is the plain cross-entropy. The mean runs over all targets, or over those not
    equal to ``ignore_index`` when it is given (``nan`` if none is left).
    """
    c = logits.shape[-1]
    if c < 2:
        raise ValueError(f"label smoothing needs at least 2 classes, got logits of shape {tuple(logits.shape)}")
    logp = F.log_softmax(logits.reshape(-1, c), dim=-1)
    target = target.reshape(-1)
    if ignore_index is not None:
        keep = target != ignore_index
        logp, target = logp[keep], target[keep]
    gold = logp.gather(1, target.unsqueeze(1)).squeeze(1)
    other = smoothing / (c - 1)
    # -(1 - s) log p_gold - s/(C-1) sum_{j != gold} log p_j
    return -((1.0 - smoothing - other) * gold + other * logp.sum(dim=1)).mean()

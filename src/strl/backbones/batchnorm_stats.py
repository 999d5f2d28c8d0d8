"""What ``nn.BatchNorm{1,2}d`` does with its statistics, for layers that compute them another way."""

from __future__ import annotations

import torch
from torch import nn


def uses_batch_stats(bn: nn.modules.batchnorm._BatchNorm) -> bool:
    """Whether ``bn`` normalises with the statistics of the batch (training, or no running stats)."""
    return bn.training or (bn.running_mean is None and bn.running_var is None)


def updates_running_stats(bn: nn.modules.batchnorm._BatchNorm) -> bool:
    """Whether a forward pass of ``bn`` updates its running statistics."""
    return bn.training and bn.track_running_stats and bn.running_mean is not None


def update_running_stats(bn: nn.modules.batchnorm._BatchNorm, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
    """BatchNorm's training-mode update of ``running_mean``/``running_var``/``num_batches_tracked``.

    ``mean``, ``var``: ``(C,)`` batch mean and biased variance over ``count`` values per channel;
    the running variance takes the unbiased one; momentum ``None`` is the cumulative average.
    """
    with torch.no_grad():
        factor = 0.0 if bn.momentum is None else bn.momentum
        if bn.num_batches_tracked is not None:
            bn.num_batches_tracked.add_(1)
            if bn.momentum is None:
                factor = 1.0 / float(bn.num_batches_tracked)
        unbiased = var * (count / (count - 1))
        bn.running_mean.mul_(1.0 - factor).add_(mean.to(bn.running_mean.dtype), alpha=factor)
        bn.running_var.mul_(1.0 - factor).add_(unbiased.to(bn.running_var.dtype), alpha=factor)


def bn_scale(bn: nn.modules.batchnorm._BatchNorm, var: torch.Tensor) -> torch.Tensor:
    """The per-channel factor ``weight / sqrt(var + eps)`` of ``bn`` for variance ``var`` ``(C,)``."""
    scale = torch.rsqrt(var + bn.eps)
    return scale if bn.weight is None else scale * bn.weight


def check_count(count: int) -> None:
    """BatchNorm's refusal to train on one value per channel."""
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got {count}")

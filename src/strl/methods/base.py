"""Shared base of the self-supervised methods: the backbone, the loss interface, the EMA loop.

A method is a small ``nn.Module`` subclass that builds its heads, lists its ``momentum_pairs``
(online module, EMA target module) and implements ``loss(view_a, view_b)``. The training loop
calls :meth:`update_momentum` after each optimizer step.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def cosine_tau(step: int, total_steps: int, tau0: float) -> float:
    """EMA rate ``1 - (1 - tau0) * (cos(pi * step / total) + 1) / 2``: ``tau0`` at step 0, 1 at the end."""
    progress = min(max(step / max(total_steps, 1), 0.0), 1.0)
    return 1.0 - (1.0 - tau0) * (math.cos(math.pi * progress) + 1.0) / 2.0


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """``target = tau * target + (1 - tau) * online`` in place with ``_foreach`` ops.

    Covers parameters and floating buffers (BN running statistics), as the original's EMA over the
    whole state_dict did; integer buffers (``num_batches_tracked``) are copied, not blended.
    """
    t_float, o_float = [], []
    for t, o in zip([*target.parameters(), *target.buffers()], [*online.parameters(), *online.buffers()]):
        if t.is_floating_point():
            t_float.append(t)
            o_float.append(o)
        else:
            t.copy_(o)
    torch._foreach_lerp_(t_float, o_float, 1.0 - tau)


class Method(nn.Module):
    """Base of BYOL, SimCLR, ...: owns the encoder; subclasses add heads and a loss."""

    #: (online, target) module-attribute name pairs updated by EMA; empty for methods without a target
    momentum_pairs: tuple[tuple[str, str], ...] = ()

    def __init__(self, backbone: nn.Module, tau0: float = 0.996):
        super().__init__()
        self.backbone = backbone
        self.tau0 = tau0

    @property
    def feature_dim(self) -> int:
        return self.backbone.feature_dim

    def features(self, points: torch.Tensor) -> torch.Tensor:
        """Encoder feature of the online network: ``(B, N, 3) -> (B, feature_dim)``."""
        return self.backbone(points)

    def loss(self, view_a: torch.Tensor, view_b: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss of a batch of pairs ``(B, N, 3), (B, N, 3)``; returns ``(loss, extra logs)``."""
        raise NotImplementedError

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Parameters the optimizer updates (EMA targets excluded)."""
        target_ids = {id(p) for _, t in self.momentum_pairs for p in getattr(self, t).parameters()}
        return [p for p in self.parameters() if id(p) not in target_ids]

    def update_momentum(self, step: int, total_steps: int) -> float:
        """Move every target towards its online module; returns the tau used."""
        tau = cosine_tau(step, total_steps, self.tau0)
        for online, target in self.momentum_pairs:
            ema_update(getattr(self, target), getattr(self, online), tau)
        return tau

"""BYOL: online encoder -> projector -> predictor regresses an EMA target encoder -> projector."""

from __future__ import annotations

import copy

import torch
from torch import nn

from strl.methods.base import Method
from strl.methods.heads import mlp_head
from strl.methods.losses import byol_loss


class BYOL(Method):
    """Symmetric BYOL loss ``L(q(a), z_t(b)) + L(q(b), z_t(a))``, each ``mean(2 - 2 cos)``."""

    momentum_pairs = (("backbone", "target_backbone"), ("projector", "target_projector"))

    def __init__(self, backbone: nn.Module, hidden_dim: int = 4096, proj_dim: int = 256, tau0: float = 0.996):
        super().__init__(backbone, tau0)
        self.projector = mlp_head(backbone.feature_dim, hidden_dim, proj_dim)
        self.predictor = mlp_head(proj_dim, hidden_dim, proj_dim)
        self.target_backbone = copy.deepcopy(backbone).requires_grad_(False)
        self.target_projector = copy.deepcopy(self.projector).requires_grad_(False)

    def _online(self, points: torch.Tensor) -> torch.Tensor:
        return self.predictor(self.projector(self.backbone(points)))

    @torch.no_grad()
    def _target(self, points: torch.Tensor) -> torch.Tensor:
        return self.target_projector(self.target_backbone(points))

    def loss(self, view_a, view_b, gather=None):
        q_a, q_b = self._online(view_a), self._online(view_b)
        z_a, z_b = self._target(view_a), self._target(view_b)
        loss = byol_loss(q_a, z_b) + byol_loss(q_b, z_a)
        return loss, {}

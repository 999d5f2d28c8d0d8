"""SimCLR: one encoder + projection head, NT-Xent over the batch (negatives from all processes)."""

from __future__ import annotations

import torch
from torch import nn

from strl.methods.base import Method
from strl.methods.heads import mlp_head
from strl.methods.losses import nt_xent_loss


class SimCLR(Method):
    """``gather`` (if given) maps a local ``(B, D)`` tensor to the ``(W*B, D)`` concatenation over
    all processes, keeping gradients; the loss then uses every process's samples as negatives."""

    def __init__(
        self,
        backbone: nn.Module,
        hidden_dim: int = 2048,
        proj_dim: int = 128,
        temperature: float = 0.1,
        tau0: float = 0.996,
    ):
        super().__init__(backbone, tau0)
        self.projector = mlp_head(backbone.feature_dim, hidden_dim, proj_dim, last_bias=True)
        self.temperature = temperature

    def loss(self, view_a, view_b, gather=None):
        z_a = self.projector(self.backbone(view_a))
        z_b = self.projector(self.backbone(view_b))
        if gather is None:
            return nt_xent_loss(z_a, z_b, self.temperature), {}
        all_a, all_b = gather(z_a), gather(z_b)
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        loss = nt_xent_loss(z_a, z_b, self.temperature, all_a, all_b, offset=rank * z_a.shape[0])
        return loss, {"negatives": torch.tensor(2.0 * all_a.shape[0] - 2.0)}

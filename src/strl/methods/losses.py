"""Self-supervised losses as pure functions of tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def byol_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``2 - 2 cos(p, z)``: ``(B, D), (B, D) -> ()``. Lies in [0, 4]."""
    p = F.normalize(prediction.float(), dim=1)
    z = F.normalize(target.float(), dim=1)
    return (2.0 - 2.0 * (p * z).sum(dim=1)).mean()


def nt_xent_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    temperature: float = 0.1,
    all_a: torch.Tensor | None = None,
    all_b: torch.Tensor | None = None,
    offset: int = 0,
) -> torch.Tensor:
    """SimCLR's NT-Xent loss, averaged over the ``2B`` local anchors.

    z_a, z_b: ``(B, D)`` projections of the two views of the same ``B`` samples on this process.
    all_a, all_b: ``(W*B, D)`` the same gathered from every process (negatives from all ranks);
    default: the local batch. ``offset``: index of this process's first sample in the gathered
    batch. For anchor ``a_i`` the positive is ``b_i``; the negatives are every other ``a_j``
    and ``b_j`` in the gathered batch.
    """
    all_a = z_a if all_a is None else all_a
    all_b = z_b if all_b is None else all_b
    anchors = F.normalize(torch.cat((z_a, z_b)).float(), dim=1)  # (2B, D)
    keys = F.normalize(torch.cat((all_a, all_b)).float(), dim=1)  # (2M, D)
    b, m = z_a.shape[0], all_a.shape[0]
    logits = anchors @ keys.t() / temperature  # (2B, 2M)
    rows = torch.arange(2 * b, device=logits.device)
    local = offset + torch.arange(b, device=logits.device)
    self_cols = torch.cat((local, local + m))
    positive_cols = torch.cat((local + m, local))
    logits[rows, self_cols] = float("-inf")
    return F.cross_entropy(logits, positive_cols)

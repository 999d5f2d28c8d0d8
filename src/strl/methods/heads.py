"""MLP heads (projector, predictor) built from a list of widths."""

from __future__ import annotations

from torch import nn


def mlp_head(in_dim: int, hidden_dim: int = 4096, out_dim: int = 256, last_bias: bool = False) -> nn.Sequential:
    """``Linear(in, hidden, bias=False) -> BatchNorm1d -> ReLU -> Linear(hidden, out)``.

    Matches the original's ``projector``/``predictor`` keys (``0.weight``, ``1.*``, ``3.weight``);
    the original's last Linear has no bias, hence ``last_bias=False`` by default.
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim, bias=last_bias),
    )

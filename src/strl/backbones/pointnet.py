"""PointNet encoder without T-Nets (the "simple PointNet" STRL pre-trains).

State-dict keys match the original exactly: ``conv{1..5}.weight`` and
``bn{1..5}.{weight,bias,running_mean,running_var,num_batches_tracked}`` (30 keys).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from strl.backbones.folded_pointwise import can_fold, max_linear_bn_relu


class PointNet(nn.Module):
    """``(B, N, 3)`` -> ``(B, emb_dims)`` max-pooled feature (non-negative after the last ReLU)."""

    widths = (64, 64, 64, 128)

    def __init__(self, emb_dims: int = 1024):
        super().__init__()
        self.emb_dims = emb_dims
        self.feature_dim = emb_dims
        dims = (3, *self.widths, emb_dims)
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            setattr(self, f"conv{i}", nn.Conv1d(cin, cout, kernel_size=1, bias=False))
        for i, cout in enumerate(dims[1:], start=1):
            setattr(self, f"bn{i}", nn.BatchNorm1d(cout))

    def _layer(self, i: int) -> tuple[torch.Tensor, nn.BatchNorm1d]:
        return getattr(self, f"conv{i}").weight.squeeze(-1), getattr(self, f"bn{i}")

    def _rows(self, points: torch.Tensor, layers: range) -> torch.Tensor:
        """``(B*N, 3)`` rows through the given layers -> ``(B*N, C)``.

        The 1x1 convolutions run as matrix products on rows (BatchNorm1d over rows has the same
        statistics as over ``(B, C, N)``), which is faster on CPUs.
        """
        x = points
        for i in layers:
            weight, bn = self._layer(i)
            # first layer (3 inputs): with a contiguous (3, C_out) copy of the weight, autograd takes
            # its gradient as x^T @ grad, three times faster on CPU than grad^T @ x for this shape
            y = x @ weight.t().contiguous() if weight.shape[1] == 3 else F.linear(x, weight)
            x = F.relu(bn(y), inplace=True)
        return x

    def point_table(self, points: torch.Tensor) -> torch.Tensor:
        """Per-point features as a table ``(B, N, 3) -> (B, N, emb_dims)``."""
        b, n, _ = points.shape
        return self._rows(points.reshape(b * n, 3), range(1, 6)).reshape(b, n, -1)

    def point_features(self, points: torch.Tensor) -> torch.Tensor:
        """Per-point features ``(B, N, 3) -> (B, emb_dims, N)``."""
        return self.point_table(points).transpose(1, 2)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        if not can_fold(self.bn5):  # e.g. SyncBatchNorm
            return self.point_table(points).amax(dim=1)
        b, n, _ = points.shape
        x = self._rows(points.reshape(b * n, 3), range(1, 5)).reshape(b, n, -1)
        return max_linear_bn_relu(x, *self._layer(5))  # the (B, N, emb_dims) table is never stored

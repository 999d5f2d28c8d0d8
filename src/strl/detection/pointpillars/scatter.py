"""PointPillarScatter: pillar features -> a dense bird's-eye-view map (no parameters)."""

from __future__ import annotations

import torch
from torch import nn


class PointPillarScatter(nn.Module):
    """``(P, C)`` features at ``(P, 4)`` ``(batch, z, y, x)`` cells -> ``(B, C, ny, nx)``, zeros elsewhere."""

    def __init__(self, grid_size: tuple[int, int, int]):
        super().__init__()
        self.nx, self.ny, nz = grid_size
        if nz != 1:
            raise ValueError(f"the BEV scatter needs one cell in z, the grid is {grid_size}")

    def forward(self, features: torch.Tensor, coords: torch.Tensor, batch_size: int) -> torch.Tensor:
        channels = features.shape[1]
        index = (coords[:, 0] * self.ny + coords[:, 2]) * self.nx + coords[:, 3]
        canvas = features.new_zeros(batch_size * self.ny * self.nx, channels)
        canvas = canvas.index_copy(0, index, features)
        return canvas.view(batch_size, self.ny, self.nx, channels).permute(0, 3, 1, 2).contiguous()

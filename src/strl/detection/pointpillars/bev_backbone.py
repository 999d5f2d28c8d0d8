"""BaseBEVBackbone: strided conv blocks, each upsampled back to the head map and concatenated.

Names and Sequential indices are OpenPCDet's: ``blocks.i`` = ZeroPad2d(1), Conv2d(k3, stride s, no
bias) [index 1], BN [2], ReLU [3], then ``layer_nums[i]`` x (Conv2d k3 p1 [4, 7, ...], BN [5, 8, ...],
ReLU); ``deblocks.i`` = ConvTranspose2d(k = s, stride s, no bias) [0], BN [1], ReLU [2].
"""

from __future__ import annotations

import torch
from torch import nn

from strl.detection.pointpillars.config import PointPillarsConfig


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


def conv_block(in_channels: int, out_channels: int, stride: int, layers: int) -> nn.Sequential:
    modules: list[nn.Module] = [nn.ZeroPad2d(1), nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=0, bias=False), _bn(out_channels), nn.ReLU()]
    for _ in range(layers):
        modules += [nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), _bn(out_channels), nn.ReLU()]
    return nn.Sequential(*modules)


def upsample_block(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, stride, stride=stride, bias=False), _bn(out_channels), nn.ReLU())


class BaseBEVBackbone(nn.Module):
    """``(B, C_bev, ny, nx)`` -> ``(B, sum(num_upsample_filters), ny / s0 * u0, nx / s0 * u0)`` (OpenPCDet ``BaseBEVBackbone``)."""

    def __init__(self, cfg: PointPillarsConfig):
        super().__init__()
        inputs = [cfg.bev_channels, *cfg.num_filters[:-1]]
        self.blocks = nn.ModuleList(
            conv_block(c_in, c_out, s, n) for c_in, c_out, s, n in zip(inputs, cfg.num_filters, cfg.layer_strides, cfg.layer_nums)
        )
        self.deblocks = nn.ModuleList(
            upsample_block(c_in, c_out, u) for c_in, c_out, u in zip(cfg.num_filters, cfg.num_upsample_filters, cfg.upsample_strides)
        )
        self.out_channels = cfg.backbone_channels

    def forward(self, bev: torch.Tensor) -> torch.Tensor:
        ups = []
        x = bev
        for block, deblock in zip(self.blocks, self.deblocks):
            x = block(x)
            ups.append(deblock(x))
        return torch.cat(ups, dim=1)

"""The VoteNet PointNet++ (single-scale grouping) backbone, key-compatible with the original.

Four set-abstraction layers (farthest point sampling, ball query, shared MLP, max pooling) and two
feature-propagation layers give 1024 seed points with 256-d features; the pooled feature is their
channel-wise maximum. ``state_dict`` keys and shapes equal those of the original encoder
(``sa1.mlp_module.layer0.conv.weight``, ``fp2.mlp.layer1.bn.bn.running_var``, ... 96 keys).

Clouds with fewer than 2048 points are accepted: farthest point sampling then repeats indices
(see :func:`strl.ops.fps.furthest_point_sample`), exactly as the original CUDA ops do.
The sample counts of the four set-abstraction layers can be lowered (``npoints``) for small
clouds; they hold no weights, so the ``state_dict`` is the same for every choice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from strl.errors import ConfigError
from strl.ops.fps import furthest_point_sample
from strl.ops.grouping import gather_points, query_and_group
from strl.ops.interpolate import inverse_distance_weights, three_interpolate, three_nn


class _BatchNorm(nn.Sequential):
    """BatchNorm2d held as child ``bn`` (the original's ``layerK.bn.bn.*`` key layout)."""

    def __init__(self, channels: int):
        super().__init__()
        self.add_module("bn", nn.BatchNorm2d(channels))
        nn.init.constant_(self.bn.weight, 1.0)
        nn.init.constant_(self.bn.bias, 0.0)


class _ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.add_module("conv", nn.Conv2d(c_in, c_out, kernel_size=1, bias=False))
        self.add_module("bn", _BatchNorm(c_out))
        self.add_module("activation", nn.ReLU(inplace=True))
        nn.init.kaiming_normal_(self.conv.weight)


class SharedMLP(nn.Sequential):
    """Per-point MLP on ``(B, C, H, W)``: ``layer{i}`` = 1x1 Conv2d (no bias) -> BN -> ReLU."""

    def __init__(self, widths: list[int]):
        super().__init__()
        for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
            self.add_module(f"layer{i}", _ConvBNReLU(c_in, c_out))


class SetAbstraction(nn.Module):
    """Sample ``npoint`` centres by FPS, group ball neighbourhoods, run the MLP, max-pool.

    ``widths[0]`` is the input feature width; 3 is added for the normalised xyz offsets.
    """

    def __init__(self, npoint: int, radius: float, nsample: int, widths: list[int]):
        super().__init__()
        self.npoint, self.radius, self.nsample = npoint, radius, nsample
        self.mlp_module = SharedMLP([widths[0] + 3, *widths[1:]])

    def group(self, xyz: torch.Tensor, features: torch.Tensor | None, inds: torch.Tensor | None = None):
        """``(B, N, 3), (B, C, N) | None -> centres (B, npoint, 3), groups (B, 3+C, npoint, ns), inds``.

        The centres are the farthest-point samples of ``xyz``, or the points ``inds`` ``(B, m)`` given.
        """
        if inds is None:
            inds = furthest_point_sample(xyz, self.npoint)
        new_xyz = gather_points(xyz.transpose(1, 2), inds).transpose(1, 2)
        grouped = query_and_group(xyz, new_xyz, features, self.radius, self.nsample)
        return new_xyz, grouped, inds

    def forward(self, xyz: torch.Tensor, features: torch.Tensor | None, inds: torch.Tensor | None = None):
        """Returns centres ``(B, npoint, 3)``, features ``(B, C_out, npoint)``, FPS indices ``(B, npoint)``."""
        new_xyz, grouped, inds = self.group(xyz, features, inds)
        pooled = F.max_pool2d(self.mlp_module(grouped), kernel_size=(1, self.nsample))
        return new_xyz, pooled.squeeze(-1), inds


class FeaturePropagation(nn.Module):
    """Interpolate coarse features onto finer points (3-NN, inverse distance), concat skip, MLP."""

    def __init__(self, widths: list[int]):
        super().__init__()
        self.mlp = SharedMLP(widths)

    def forward(self, xyz, coarse_xyz, skip_features, coarse_features):
        """``(B, n, 3), (B, m, 3), (B, C1, n), (B, C2, m) -> (B, C_out, n)``."""
        dist, idx = three_nn(xyz, coarse_xyz)
        interpolated = three_interpolate(coarse_features, idx, inverse_distance_weights(dist))
        stacked = torch.cat([interpolated, skip_features], dim=1).unsqueeze(-1)
        return self.mlp(stacked).squeeze(-1)


class VoteNetBackbone(nn.Module):
    """PointNet++ SSG encoder of VoteNet: points ``(B, N, 3 + input_feature_dim)`` -> ``(B, 256)``.

    ``input_feature_dim`` extra per-point channels (e.g. 1 for VoteNet's height) follow xyz in
    the input; the default 0 matches STRL's pre-training (and VoteNet's ``--no_height``).
    ``npoints`` are the sample counts of sa1..sa4 (VoteNet's by default); sa2's is the number of
    seeds. Smaller counts suit smaller clouds and keep every weight shape.
    """

    feature_dim = 256
    num_seeds = 1024
    default_npoints = (2048, 1024, 512, 256)

    def __init__(self, input_feature_dim: int = 0, npoints: tuple[int, int, int, int] = default_npoints):
        super().__init__()
        self.input_feature_dim = input_feature_dim
        self.sa1 = SetAbstraction(1, 0.2, 64, [input_feature_dim, 64, 64, 128])
        self.sa2 = SetAbstraction(1, 0.4, 32, [128, 128, 128, 256])
        self.sa3 = SetAbstraction(1, 0.8, 16, [256, 128, 128, 256])
        self.sa4 = SetAbstraction(1, 1.2, 16, [256, 128, 128, 256])
        self.fp1 = FeaturePropagation([256 + 256, 256, 256])
        self.fp2 = FeaturePropagation([256 + 256, 256, 256])
        self.set_sample_counts(npoints)

    @property
    def npoints(self) -> tuple[int, int, int, int]:
        """The sample counts of sa1..sa4."""
        return tuple(sa.npoint for sa in (self.sa1, self.sa2, self.sa3, self.sa4))

    def set_sample_counts(self, npoints) -> None:
        """Change the sample counts of sa1..sa4 (``npoints``, four positive ints, sa2's <= sa1's); the
        weights stay as they are."""
        npoints = tuple(int(n) for n in npoints)
        if len(npoints) != 4 or min(npoints) < 1 or npoints[1] > npoints[0]:
            raise ConfigError(f"npoints must be four positive sample counts with sa2's <= sa1's, got {npoints}")
        for sa, n in zip((self.sa1, self.sa2, self.sa3, self.sa4), npoints):
            sa.npoint = n
        self.num_seeds = npoints[1]

    def widen_input(self, input_feature_dim: int) -> None:
        """Take ``input_feature_dim`` extra per-point channels (e.g. VoteNet's height) from now on: the
        first layer gets input slots for them with zero weights, so its outputs stay as they were."""
        extra = input_feature_dim - self.input_feature_dim
        if extra < 0:
            raise ConfigError(f"cannot narrow the input from {self.input_feature_dim} to {input_feature_dim} extra channels")
        conv = self.sa1.mlp_module.layer0.conv
        if extra:
            weight = conv.weight.detach()
            conv.weight = nn.Parameter(torch.cat([weight, weight.new_zeros(weight.shape[0], extra, 1, 1)], dim=1))
            conv.in_channels += extra
        self.input_feature_dim = input_feature_dim

    def forward_seeds(self, points: torch.Tensor) -> dict[str, torch.Tensor]:
        """Seeds: ``seed_xyz`` (B, S, 3), ``seed_features`` (B, 256, S), ``seed_inds`` (B, S); S = ``num_seeds``.

        ``seed_inds`` index the input points (the first S sa1 samples, as in VoteNet).
        """
        width = 3 + self.input_feature_dim
        if points.ndim != 3 or points.shape[-1] != width or points.shape[1] == 0:
            raise ValueError(f"points must have shape (B, N, {width}) with N > 0, got {tuple(points.shape)}")
        xyz = points[..., :3].contiguous()
        features = points[..., 3:].transpose(1, 2).contiguous() if self.input_feature_dim else None
        xyz1, f1, inds1 = self.sa1(xyz, features)
        xyz2, f2, _ = self.sa2(xyz1, f1)
        xyz3, f3, _ = self.sa3(xyz2, f2)
        xyz4, f4, _ = self.sa4(xyz3, f3)
        f3 = self.fp1(xyz3, xyz4, f3, f4)
        seeds = self.fp2(xyz2, xyz3, f2, f3)
        return {"seed_xyz": xyz2, "seed_features": seeds, "seed_inds": inds1[:, : xyz2.shape[1]]}

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Pooled feature ``(B, 256)``: the maximum of the seed features over the 1024 seeds."""
        seeds = self.forward_seeds(points)["seed_features"]
        return F.max_pool1d(seeds, kernel_size=seeds.shape[-1]).squeeze(-1)

"""The reference downstream models, rebuilt for tests: they load STRL's transformed checkpoints and
the fine-tuned state_dicts of ``strl.models``.

Each is rebuilt from the module structure and state_dict keys of the code base STRL fine-tunes with
(child names, widths, which BatchNorm sits inside which Sequential), with its own plain forward
written here, independent of ``strl.backbones`` and ``strl.models``, in the downstream input layout:

* ``DGCNNCls``, ``PointNetCls``: WangYueFt/dgcnn classification, input ``(B, 3, N)``;
* ``DGCNNSemSegNet``: dgcnn.pytorch ``DGCNN_semseg`` (xyz only as in STRL, or 9 channels as
  ``DGCNN_semseg_s3dis``; 13 classes), input ``(B, C, N)``;
* ``DGCNNPartSegNet``: dgcnn.pytorch ``DGCNN_partseg`` (16 categories, 50 parts), input ``(B, C, N)``
  and the category one-hot ``(B, 16)``;
* ``VoteNetStandIn``: VoteNet's ``backbone_net`` (PointNet++ SSG, its point ops written here too) plus
  dummy ``vgen`` and ``pnet`` heads, input ``(B, N, 3 + input_feature_dim)``.

Every model names its ``head_modules`` (children the downstream training initialises itself), tells
which checkpoint entry it reads (``checkpoint_key``) and computes the pooled feature of its encoder
part (``encoder_features``). :func:`load_like_downstream` reads a file as the downstream script does;
:func:`assert_loads_into` checks that a file fills exactly the encoder part; :func:`randomize_`
gives a model random weights and BatchNorm statistics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


# --- the DGCNN building blocks as the downstream code computes them (channels-first) ---------------


def knn_indices(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(B, C, N) -> (B, N, k)``: the k largest of ``-||xi - xj||^2``, expanded as the downstream code does."""
    inner = x.transpose(1, 2) @ x
    sq = (x * x).sum(dim=1, keepdim=True)
    neg_dist = 2 * inner - sq - sq.transpose(1, 2)
    return neg_dist.topk(k, dim=-1).indices


def edge_features(x: torch.Tensor, k: int, knn_on: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, C, N) -> (B, 2C, N, k)``: ``cat(x_j - x_i, x_i)`` over the k nearest neighbours j (in the
    space of ``x``, or of ``knn_on`` ``(B, C', N)`` when given)."""
    b = x.shape[0]
    pts = x.transpose(1, 2)  # (B, N, C)
    nbrs = pts[torch.arange(b).view(b, 1, 1), knn_indices(x if knn_on is None else knn_on, k)]  # (B, N, k, C)
    centre = pts.unsqueeze(2).expand_as(nbrs)
    return torch.cat((nbrs - centre, centre), dim=3).permute(0, 3, 1, 2)


def conv_seq(conv: nn.Module, bn: nn.Module) -> nn.Sequential:
    return nn.Sequential(conv, bn, nn.LeakyReLU(negative_slope=0.2))


def conv2d(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, bias=False)


def conv1d(cin: int, cout: int) -> nn.Conv1d:
    return nn.Conv1d(cin, cout, kernel_size=1, bias=False)


class DownstreamModel(nn.Module):
    """Common interface of the stand-ins."""

    head_modules: tuple[str, ...] = ()
    checkpoint_key = "state_dict"

    def head_state_keys(self) -> list[str]:
        return [k for k in self.state_dict() if k.split(".")[0] in self.head_modules]

    def encoder_state_keys(self) -> list[str]:
        """The keys pre-trained weights must fill: everything outside the head."""
        return [k for k in self.state_dict() if k.split(".")[0] not in self.head_modules]

    def encoder_part(self) -> nn.Module:
        """A module holding (sharing) only the encoder children, for strict loading."""
        part = nn.Module()
        for name, child in self.named_children():
            if name not in self.head_modules:
                part.add_module(name, child)
        return part

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


# --- WangYueFt/dgcnn classification ----------------------------------------------------------------


class DGCNNCls(DownstreamModel):
    """DGCNN classifier: 4 EdgeConvs, conv5, max||mean pooling, 3-layer head."""

    head_modules = ("linear1", "bn6", "dp1", "linear2", "bn7", "dp2", "linear3")

    def __init__(self, k: int = 20, emb_dims: int = 1024, classes: int = 40):
        super().__init__()
        self.k = k
        self.bn1, self.bn2, self.bn3, self.bn4 = (nn.BatchNorm2d(c) for c in (64, 64, 128, 256))
        self.bn5 = nn.BatchNorm1d(emb_dims)
        self.conv1 = conv_seq(conv2d(6, 64), self.bn1)
        self.conv2 = conv_seq(conv2d(128, 64), self.bn2)
        self.conv3 = conv_seq(conv2d(128, 128), self.bn3)
        self.conv4 = conv_seq(conv2d(256, 256), self.bn4)
        self.conv5 = conv_seq(conv1d(512, emb_dims), self.bn5)
        self.linear1 = nn.Linear(2 * emb_dims, 512, bias=False)
        self.bn6 = nn.BatchNorm1d(512)
        self.dp1 = nn.Dropout(0.5)
        self.linear2 = nn.Linear(512, 256)
        self.bn7 = nn.BatchNorm1d(256)
        self.dp2 = nn.Dropout(0.5)
        self.linear3 = nn.Linear(256, classes)

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, N) -> (B, 2 * emb_dims)``."""
        outs = []
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            x = conv(edge_features(x, self.k)).max(dim=-1)[0]
            outs.append(x)
        x = self.conv5(torch.cat(outs, dim=1))
        return torch.cat((F.adaptive_max_pool1d(x, 1), F.adaptive_avg_pool1d(x, 1)), dim=1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dp1(F.leaky_relu(self.bn6(self.linear1(self.encoder_features(x))), 0.2))
        h = self.dp2(F.leaky_relu(self.bn7(self.linear2(h)), 0.2))
        return self.linear3(h)


class PointNetCls(DownstreamModel):
    """The simple PointNet (no T-Nets) classifier."""

    head_modules = ("linear1", "bn6", "dp1", "linear2")

    def __init__(self, emb_dims: int = 1024, classes: int = 40):
        super().__init__()
        dims = (3, 64, 64, 64, 128, emb_dims)
        for i in range(1, 6):
            setattr(self, f"conv{i}", conv1d(dims[i - 1], dims[i]))
        for i in range(1, 6):
            setattr(self, f"bn{i}", nn.BatchNorm1d(dims[i]))
        self.linear1 = nn.Linear(emb_dims, 512, bias=False)
        self.bn6 = nn.BatchNorm1d(512)
        self.dp1 = nn.Dropout(0.5)
        self.linear2 = nn.Linear(512, classes)

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, N) -> (B, emb_dims)``."""
        for i in range(1, 6):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        return F.adaptive_max_pool1d(x, 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dp1(F.relu(self.bn6(self.linear1(self.encoder_features(x))))))


# --- AnTao97/dgcnn.pytorch segmentation -----------------------------------------------------------


class SegTrunkModel(DownstreamModel):
    """What ``DGCNN_semseg`` and ``DGCNN_partseg`` share: bn1..bn6 and conv1..conv6 (three EdgeConv
    blocks, then conv6), and the encoder feature, the maximum over points of conv6.

    Subclasses call :meth:`add_trunk_batchnorms`, add their head's BatchNorms, then
    :meth:`add_trunk_convs`, which keeps the downstream key order: every ``bn*`` before ``conv1``.
    """

    def add_trunk_batchnorms(self, emb_dims: int) -> None:
        for i in range(1, 6):
            setattr(self, f"bn{i}", nn.BatchNorm2d(64))
        self.bn6 = nn.BatchNorm1d(emb_dims)

    def add_trunk_convs(self, emb_dims: int, in_channels: int = 3) -> None:
        self.conv1 = conv_seq(conv2d(2 * in_channels, 64), self.bn1)
        self.conv2 = conv_seq(conv2d(64, 64), self.bn2)
        self.conv3 = conv_seq(conv2d(128, 64), self.bn3)
        self.conv4 = conv_seq(conv2d(64, 64), self.bn4)
        self.conv5 = conv_seq(conv2d(128, 64), self.bn5)
        self.conv6 = conv_seq(conv1d(192, emb_dims), self.bn6)

    def trunk_features(self, x: torch.Tensor):
        """x1, x2, x3 ``(B, 64, N)`` and conv6 ``(B, emb_dims, N)`` of ``(B, C, N)`` points whose
        first three channels are xyz (the first k-NN graph is built on them)."""
        h = self.conv2(self.conv1(edge_features(x, self.k, knn_on=x[:, :3])))
        x1 = h.max(dim=-1)[0]
        h = self.conv4(self.conv3(edge_features(x1, self.k)))
        x2 = h.max(dim=-1)[0]
        x3 = self.conv5(edge_features(x2, self.k)).max(dim=-1)[0]
        return x1, x2, x3, self.conv6(torch.cat((x1, x2, x3), dim=1))

    def encoder_point_features(self, x: torch.Tensor):
        raise NotImplementedError

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, N) -> (B, emb_dims)`` (xyz channels only)."""
        return self.encoder_point_features(x)[3].max(dim=-1)[0]


class DGCNNSemSegNet(SegTrunkModel):
    """``DGCNN_semseg`` on xyz: three EdgeConv blocks, conv6, then the per-point head conv7..conv9.

    ``in_channels=9``: the layout of dgcnn.pytorch's ``DGCNN_semseg_s3dis`` (EdgeConv on all 9
    channels), with the first k-NN graph on channels 0:3 (strl's choice) instead of 6:9.
    """

    head_modules = ("bn7", "bn8", "conv7", "conv8", "dp1", "conv9")

    def __init__(self, k: int = 20, emb_dims: int = 1024, classes: int = 13, in_channels: int = 3):
        super().__init__()
        self.k = k
        self.in_channels = in_channels
        self.add_trunk_batchnorms(emb_dims)
        self.bn7 = nn.BatchNorm1d(512)
        self.bn8 = nn.BatchNorm1d(256)
        self.add_trunk_convs(emb_dims, in_channels)
        self.conv7 = conv_seq(conv1d(emb_dims + 192, 512), self.bn7)
        self.conv8 = conv_seq(conv1d(512, 256), self.bn8)
        self.dp1 = nn.Dropout(0.5)
        self.conv9 = conv1d(256, classes)

    def encoder_point_features(self, x: torch.Tensor):
        return self.trunk_features(x[:, : self.in_channels])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, N) -> (B, classes, N)`` logits."""
        x1, x2, x3, h = self.encoder_point_features(x)
        h = h.max(dim=-1, keepdim=True)[0].repeat(1, 1, x.shape[-1])
        h = self.conv8(self.conv7(torch.cat((h, x1, x2, x3), dim=1)))
        return self.conv9(self.dp1(h))


class TransformNetStandIn(nn.Module):
    """dgcnn.pytorch ``Transform_Net``; ``bn3`` is assigned twice there, so the 1024-channel BN is only
    reachable as ``conv3.1`` and ``bn3`` is the 512-channel one (at ``bn3``'s first position)."""

    def __init__(self):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(64)
        self.bn2 = nn.BatchNorm2d(128)
        self.bn3 = nn.BatchNorm1d(1024)
        self.conv1 = conv_seq(conv2d(6, 64), self.bn1)
        self.conv2 = conv_seq(conv2d(64, 128), self.bn2)
        self.conv3 = conv_seq(conv1d(128, 1024), self.bn3)
        self.linear1 = nn.Linear(1024, 512, bias=False)
        self.bn3 = nn.BatchNorm1d(512)  # replaces the attribute, keeps its place in the key order
        self.linear2 = nn.Linear(512, 256, bias=False)
        self.bn4 = nn.BatchNorm1d(256)
        self.transform = nn.Linear(256, 9)
        nn.init.constant_(self.transform.weight, 0)
        nn.init.eye_(self.transform.bias.data.view(3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 6, N, k) -> (B, 3, 3)``."""
        x = self.conv2(self.conv1(x)).max(dim=-1)[0]
        x = self.conv3(x).max(dim=-1)[0]
        x = F.leaky_relu(self.bn3(self.linear1(x)), 0.2)
        x = F.leaky_relu(self.bn4(self.linear2(x)), 0.2)
        return self.transform(x).view(x.shape[0], 3, 3)


class DGCNNPartSegNet(SegTrunkModel):
    """``DGCNN_partseg``: input transform, three EdgeConv blocks, conv6, category-conditioned head."""

    head_modules = ("bn7", "bn8", "bn9", "bn10", "conv7", "conv8", "conv9", "conv10", "conv11", "dp1", "dp2")

    def __init__(self, k: int = 40, emb_dims: int = 1024, parts: int = 50, categories: int = 16):
        super().__init__()
        self.k = k
        self.transform_net = TransformNetStandIn()
        self.add_trunk_batchnorms(emb_dims)
        for i, c in enumerate((64, 256, 256, 128), start=7):
            setattr(self, f"bn{i}", nn.BatchNorm1d(c))
        self.add_trunk_convs(emb_dims)
        self.conv7 = conv_seq(conv1d(categories, 64), self.bn7)
        self.conv8 = conv_seq(conv1d(emb_dims + 64 + 192, 256), self.bn8)
        self.dp1 = nn.Dropout(0.5)
        self.conv9 = conv_seq(conv1d(256, 256), self.bn9)
        self.dp2 = nn.Dropout(0.5)
        self.conv10 = conv_seq(conv1d(256, 128), self.bn10)
        self.conv11 = conv1d(128, parts)

    def encoder_point_features(self, x: torch.Tensor):
        x = x[:, :3]
        t = self.transform_net(edge_features(x, self.k))
        x = torch.bmm(x.transpose(2, 1), t).transpose(2, 1)
        return self.trunk_features(x)

    def forward(self, x: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        """``(B, C, N)``, one-hot ``(B, categories)`` -> ``(B, parts, N)`` logits."""
        x1, x2, x3, h = self.encoder_point_features(x)
        h = h.max(dim=-1, keepdim=True)[0]
        label = self.conv7(category.view(category.shape[0], -1, 1))
        h = torch.cat((h, label), dim=1).repeat(1, 1, x.shape[-1])
        h = self.dp1(self.conv8(torch.cat((h, x1, x2, x3), dim=1)))
        h = self.conv10(self.dp2(self.conv9(h)))
        return self.conv11(h)


# --- facebookresearch/votenet ---------------------------------------------------------------------
# VoteNet's ``Pointnet2Backbone`` rebuilt from the pointnet2 package's module layout: a ``SharedMLP``
# is a Sequential of ``layer{i}`` blocks, each a Sequential of ``conv`` (1x1 Conv2d without bias),
# ``bn`` (a Sequential holding the BatchNorm2d as ``bn``, hence ``.bn.bn.``) and ``activation``.
# Its point ops are written here in plain PyTorch from the CUDA kernels' semantics (not strl.ops).


def square_distance_f32(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(dx*dx + dy*dy) + dz*dz`` in float32, as the CUDA kernels compute it (they take float32 only)."""
    d = a.float() - b.float()
    return (d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1]) + d[..., 2] * d[..., 2]


def fps_plain(xyz: torch.Tensor, m: int) -> torch.Tensor:
    """``(B, N, 3) -> (B, m)`` farthest point sampling: starts at index 0, never picks a point with
    ``|p|^2 <= 1e-3`` (nor updates its distance), first maximum on ties."""
    b, n, _ = xyz.shape
    selectable = square_distance_f32(xyz, torch.zeros(3)) > 1e-3
    dist = torch.full((b, n), 1e10)
    out = torch.zeros(b, m, dtype=torch.long)
    rows = torch.arange(b)
    for j in range(1, m):
        d = square_distance_f32(xyz, xyz[rows, out[:, j - 1]].unsqueeze(1))
        dist = torch.where(selectable, torch.minimum(dist, d), dist)
        out[:, j] = torch.where(selectable, dist, torch.full_like(dist, -1.0)).argmax(-1)
    return out


def ball_query_plain(centres: torch.Tensor, xyz: torch.Tensor, radius: float, nsample: int) -> torch.Tensor:
    """``(B, m, 3), (B, N, 3) -> (B, m, nsample)``: the first ``nsample`` points (in index order) with
    squared distance below ``radius^2`` (float32), the row padded with the first of them (0 when none)."""
    r2 = torch.tensor(radius, dtype=torch.float32) ** 2
    hit = square_distance_f32(centres.unsqueeze(2), xyz.unsqueeze(1)) < r2  # (B, m, N)
    rank = hit.long().cumsum(-1) - 1
    out = hit.long().argmax(-1, keepdim=True).repeat(1, 1, nsample)  # first hit everywhere
    b, j, k = (hit & (rank < nsample)).nonzero(as_tuple=True)
    out[b, j, rank[b, j, k]] = k
    return out


def gather_rows(values: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``(B, N, C)`` rows at ``idx`` ``(B, ...)`` -> ``(B, ..., C)``."""
    flat = idx.reshape(idx.shape[0], -1)
    picked = torch.stack([values[i, flat[i]] for i in range(values.shape[0])])
    return picked.view(*idx.shape, values.shape[-1])


class BNStandIn(nn.Sequential):
    def __init__(self, channels: int):
        super().__init__()
        self.add_module("bn", nn.BatchNorm2d(channels))


class SharedMLPStandIn(nn.Sequential):
    def __init__(self, widths: list[int]):
        super().__init__()
        for i in range(len(widths) - 1):
            block = nn.Sequential()
            block.add_module("conv", nn.Conv2d(widths[i], widths[i + 1], kernel_size=1, bias=False))
            block.add_module("bn", BNStandIn(widths[i + 1]))
            block.add_module("activation", nn.ReLU(inplace=True))
            self.add_module(f"layer{i}", block)


class SAModuleStandIn(nn.Module):
    """``PointnetSAModuleVotes`` with ``use_xyz=True``, ``normalize_xyz=True`` and max pooling."""

    def __init__(self, npoint: int, radius: float, nsample: int, mlp: list[int]):
        super().__init__()
        self.npoint, self.radius, self.nsample = npoint, radius, nsample
        self.mlp_module = SharedMLPStandIn([mlp[0] + 3, *mlp[1:]])

    def forward(self, xyz: torch.Tensor, features: torch.Tensor | None):
        """``(B, N, 3), (B, C, N) | None -> (B, npoint, 3), (B, C', npoint), (B, npoint)``."""
        inds = fps_plain(xyz, self.npoint)
        centres = gather_rows(xyz, inds)
        idx = ball_query_plain(centres, xyz, self.radius, self.nsample)
        grouped = (gather_rows(xyz, idx) - centres.unsqueeze(2)) / self.radius  # (B, npoint, ns, 3)
        if features is not None:
            grouped = torch.cat((grouped, gather_rows(features.transpose(1, 2), idx)), dim=-1)
        h = self.mlp_module(grouped.permute(0, 3, 1, 2))  # (B, C', npoint, ns)
        return centres, h.max(dim=-1)[0], inds


class FPModuleStandIn(nn.Module):
    """``PointnetFPModule``: inverse-distance interpolation from the 3 nearest coarse points, skip concat, MLP."""

    def __init__(self, mlp: list[int]):
        super().__init__()
        self.mlp = SharedMLPStandIn(mlp)

    def forward(self, unknown, known, unknown_features, known_features):
        """``(B, n, 3), (B, m, 3), (B, C1, n), (B, C2, m) -> (B, C', n)``."""
        d2 = square_distance_f32(unknown.unsqueeze(2), known.unsqueeze(1))  # (B, n, m)
        nearest, idx = d2.topk(3, dim=-1, largest=False)
        weight = (1.0 / (nearest.sqrt() + 1e-8)).to(known_features.dtype)
        weight = weight / weight.sum(-1, keepdim=True)
        interpolated = (gather_rows(known_features.transpose(1, 2), idx) * weight.unsqueeze(-1)).sum(2)
        h = torch.cat((interpolated.transpose(1, 2), unknown_features), dim=1).unsqueeze(-1)
        return self.mlp(h).squeeze(-1)


class Pointnet2BackboneStandIn(nn.Module):
    """VoteNet's ``backbone_net``: ``(B, N, 3 + input_feature_dim)`` -> seeds (the fp2 output)."""

    def __init__(self, input_feature_dim: int = 0):
        super().__init__()
        self.sa1 = SAModuleStandIn(2048, 0.2, 64, [input_feature_dim, 64, 64, 128])
        self.sa2 = SAModuleStandIn(1024, 0.4, 32, [128, 128, 128, 256])
        self.sa3 = SAModuleStandIn(512, 0.8, 16, [256, 128, 128, 256])
        self.sa4 = SAModuleStandIn(256, 1.2, 16, [256, 128, 128, 256])
        self.fp1 = FPModuleStandIn([256 + 256, 256, 256])
        self.fp2 = FPModuleStandIn([256 + 256, 256, 256])

    def forward(self, pointcloud: torch.Tensor) -> dict:
        xyz = pointcloud[..., :3]
        features = pointcloud[..., 3:].transpose(1, 2) if pointcloud.shape[-1] > 3 else None
        xyz1, f1, inds1 = self.sa1(xyz, features)
        xyz2, f2, _ = self.sa2(xyz1, f1)
        xyz3, f3, _ = self.sa3(xyz2, f2)
        xyz4, f4, _ = self.sa4(xyz3, f3)
        h = self.fp2(xyz2, xyz3, f2, self.fp1(xyz3, xyz4, f3, f4))
        return {"fp2_features": h, "fp2_xyz": xyz2, "fp2_inds": inds1[:, : xyz2.shape[1]]}


class VoteNetStandIn(DownstreamModel):
    """``VoteNet`` as far as checkpoint loading goes: ``backbone_net`` (PointNet++ SSG), ``vgen``, ``pnet``."""

    head_modules = ("vgen", "pnet")
    checkpoint_key = "model_state_dict"

    def __init__(self, input_feature_dim: int = 0):
        super().__init__()
        self.backbone_net = Pointnet2BackboneStandIn(input_feature_dim)
        self.vgen = nn.Module()  # the voting module: conv1..conv3, bn1, bn2 on the 256-d seeds
        self.vgen.conv1 = nn.Conv1d(256, 256, 1)
        self.vgen.bn1 = nn.BatchNorm1d(256)
        self.vgen.conv3 = nn.Conv1d(256, 3 + 256, 1)
        self.pnet = nn.Module()  # the proposal module: only its presence matters here
        self.pnet.conv1 = nn.Conv1d(128, 128, 1)

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, N, 3 + input_feature_dim) -> (B, 256)``: STRL's pooled feature, the maximum over the seeds."""
        return self.backbone_net(x)["fp2_features"].max(dim=-1)[0]


# --- test weights ----------------------------------------------------------------------------------


def randomize_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights and BatchNorm statistics (so eval mode depends on every tensor), transform
    net away from the identity (so the orientation of ``x^T t`` matters)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                t.fill_(7)
            elif name.endswith("transform.weight"):
                t.copy_(0.02 * torch.randn(t.shape, generator=gen))
            elif name.endswith("transform.bias"):
                t.copy_(torch.eye(3).flatten() + 0.3 * torch.randn(t.shape, generator=gen))
            elif name.endswith("running_var") or (name.endswith("weight") and t.ndim == 1):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            elif t.ndim == 1:  # BN bias, running mean, Linear bias
                t.copy_(0.1 * torch.randn(t.shape, generator=gen))
            else:
                t.copy_(torch.randn(t.shape, generator=gen) / t[0].numel() ** 0.5)
    return module



# --- checkpoint files -----------------------------------------------------------------------------


def transformed_checkpoint(encoder_state: dict, checkpoint_key: str) -> dict:
    """What the original transform scripts write for an encoder state_dict: ``{"state_dict": sd}``,
    or ``{"model_state_dict": {"backbone_net." + key: value}}`` for VoteNet."""
    if checkpoint_key == "model_state_dict":
        return {"model_state_dict": {"backbone_net." + k: v for k, v in encoder_state.items()}}
    return {"state_dict": dict(encoder_state)}


def load_like_downstream(model: DownstreamModel, path) -> tuple[dict, list[str], list[str]]:
    """Load ``path`` into ``model`` as the downstream scripts do (``torch.load(...)[key]`` and
    ``load_state_dict(strict=False)``); returns the state read, the missing and the unexpected keys."""
    state = torch.load(path, map_location="cpu", weights_only=True)[model.checkpoint_key]
    result = model.load_state_dict(state, strict=False)
    return state, list(result.missing_keys), list(result.unexpected_keys)


def assert_loads_into(model: DownstreamModel, path) -> dict:
    """``path`` fills every encoder key of ``model`` (strictly) and nothing outside the head.

    Returns the state read from the file.
    """
    state, missing, unexpected = load_like_downstream(model, path)
    assert unexpected == [], f"keys the downstream model does not have: {unexpected[:10]}"
    assert set(missing) <= set(model.head_state_keys()), f"encoder keys left unloaded: {sorted(set(missing) - set(model.head_state_keys()))[:10]}"
    head = set(model.head_state_keys())
    model.encoder_part().load_state_dict({k: v for k, v in state.items() if k not in head}, strict=True)
    return state

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
* ``VoteNetStandIn``: VoteNet's ``backbone_net`` (strl's PointNet++ backbone) plus dummy ``vgen`` and
  ``pnet`` heads, input ``(B, N, 3 + input_feature_dim)``.

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


class VoteNetStandIn(DownstreamModel):
    """``VoteNet`` as far as checkpoint loading goes: ``backbone_net`` (PointNet++ SSG), ``vgen``, ``pnet``."""

    head_modules = ("vgen", "pnet")
    checkpoint_key = "model_state_dict"

    def __init__(self, input_feature_dim: int = 0):
        super().__init__()
        from strl.backbones.pointnet2 import VoteNetBackbone

        self.backbone_net = VoteNetBackbone(input_feature_dim=input_feature_dim)
        self.vgen = nn.Module()  # the voting module: conv1..conv3, bn1, bn2 on the 256-d seeds
        self.vgen.conv1 = nn.Conv1d(256, 256, 1)
        self.vgen.bn1 = nn.BatchNorm1d(256)
        self.vgen.conv3 = nn.Conv1d(256, 3 + 256, 1)
        self.pnet = nn.Module()  # the proposal module: only its presence matters here
        self.pnet.conv1 = nn.Conv1d(128, 128, 1)

    def encoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, N, 3 + input_feature_dim) -> (B, 256)``: maximum of the fp2 seed features."""
        return self.backbone_net.forward_seeds(x)["seed_features"].max(dim=-1)[0]


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

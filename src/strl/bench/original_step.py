"""The original STRL training step, re-implemented faithfully for speed comparisons only.

What it reproduces (see the reference notes on the original ``BYOL/`` code):

- the encoders take ``(B, 3, N)``; the DGCNN builds ``cat(x_j - x_i, x_i)`` with ``repeat`` and
  ``cat`` into a ``(B, 2C, N, k)`` tensor per EdgeConv, with the original ``knn``
  (``-|x_i|^2 + 2 x_i.x_j - |x_j|^2``, ``topk`` largest) and ``idx_base`` offsets;
- BYOL: online (encoder, projector, predictor) on both views, target (encoder, projector) on both
  views without gradients, in training mode; loss ``L(q1, z2t) + L(q2, z1t)``;
- the EMA over every key of the target ``state_dict`` (a ``state_dict`` round trip), run after the
  forward and *before* ``backward`` and the optimizer step, as PyTorch Lightning 0.8.5 did;
- the optimizer over all parameters (target included, which get no gradient): Adam wrapped in the
  original ``LARSWrapper`` (eta 0.02, clip, norms checked on the host).

Not for training. The state_dict keys equal strl's encoders', so weights can be copied across.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


def original_knn(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(B, C, N) -> (B, N, k)``: the original pairwise score and ``topk``."""
    inner = -2 * torch.matmul(x.transpose(2, 1), x)
    xx = torch.sum(x**2, dim=1, keepdim=True)
    pairwise = -xx - inner - xx.transpose(2, 1)
    return pairwise.topk(k=k, dim=-1)[1]


def original_graph_feature(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(B, C, N) -> (B, 2C, N, k)`` with the original gather, ``repeat`` and ``cat``."""
    b, c, n = x.shape
    idx = original_knn(x, k)
    idx_base = torch.arange(0, b, device=x.device).view(-1, 1, 1) * n
    idx = (idx + idx_base).view(-1)
    x = x.transpose(2, 1).contiguous()
    feature = x.view(b * n, -1)[idx, :].view(b, n, k, c)
    x = x.view(b, n, 1, c).repeat(1, 1, k, 1)
    return torch.cat((feature - x, x), dim=3).permute(0, 3, 1, 2).contiguous()


class OriginalDGCNN(nn.Module):
    """The original DGCNN encoder: ``(B, 3, N) -> (B, 2 * emb_dims)``; same 55 state_dict keys."""

    def __init__(self, k: int = 40, emb_dims: int = 1024):
        super().__init__()
        self.k = k
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm2d(64), nn.BatchNorm2d(64), nn.BatchNorm2d(128)
        self.bn4, self.bn5 = nn.BatchNorm2d(256), nn.BatchNorm1d(emb_dims)
        self.conv1 = nn.Sequential(nn.Conv2d(6, 64, 1, bias=False), self.bn1, nn.LeakyReLU(0.2))
        self.conv2 = nn.Sequential(nn.Conv2d(128, 64, 1, bias=False), self.bn2, nn.LeakyReLU(0.2))
        self.conv3 = nn.Sequential(nn.Conv2d(128, 128, 1, bias=False), self.bn3, nn.LeakyReLU(0.2))
        self.conv4 = nn.Sequential(nn.Conv2d(256, 256, 1, bias=False), self.bn4, nn.LeakyReLU(0.2))
        self.conv5 = nn.Sequential(nn.Conv1d(512, emb_dims, 1, bias=False), self.bn5, nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.size(0)
        x1 = self.conv1(original_graph_feature(x, self.k)).max(dim=-1, keepdim=False)[0]
        x2 = self.conv2(original_graph_feature(x1, self.k)).max(dim=-1, keepdim=False)[0]
        x3 = self.conv3(original_graph_feature(x2, self.k)).max(dim=-1, keepdim=False)[0]
        x4 = self.conv4(original_graph_feature(x3, self.k)).max(dim=-1, keepdim=False)[0]
        x = self.conv5(torch.cat((x1, x2, x3, x4), dim=1))
        y1 = F.adaptive_max_pool1d(x, 1).view(b, -1)
        y2 = F.adaptive_avg_pool1d(x, 1).view(b, -1)
        return torch.cat((y1, y2), 1)


class OriginalPointNet(nn.Module):
    """The original "simple PointNet": ``(B, 3, N) -> (B, emb_dims)``; same 30 state_dict keys."""

    def __init__(self, emb_dims: int = 1024):
        super().__init__()
        dims = (3, 64, 64, 64, 128, emb_dims)
        for i in range(1, 6):
            setattr(self, f"conv{i}", nn.Conv1d(dims[i - 1], dims[i], kernel_size=1, bias=False))
        for i in range(1, 6):
            setattr(self, f"bn{i}", nn.BatchNorm1d(dims[i]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 6):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        return F.adaptive_max_pool1d(x, 1).squeeze()


def _mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim, bias=False))


class OriginalTarget(nn.Module):
    def __init__(self, encoder: nn.Module, feat_dim: int, hidden: int, proj: int):
        super().__init__()
        self.encoder = encoder
        self.projector = _mlp(feat_dim, hidden, proj)

    def forward(self, pc):
        y = self.encoder(pc)
        return y, self.projector(y)


class OriginalOnline(OriginalTarget):
    def __init__(self, encoder: nn.Module, feat_dim: int, hidden: int, proj: int):
        super().__init__(encoder, feat_dim, hidden, proj)
        self.predictor = _mlp(proj, hidden, proj)

    def forward(self, pc):
        y, z = super().forward(pc)
        return y, z, self.predictor(z)


class OriginalLARS:
    """The original ``LARSWrapper.step`` around an optimizer (norm tests on the host, as there)."""

    def __init__(self, optimizer: torch.optim.Optimizer, eta: float = 0.02, clip: bool = True, eps: float = 1e-8):
        self.optim, self.eta, self.clip, self.eps = optimizer, eta, clip, eps
        self.param_groups = optimizer.param_groups

    def zero_grad(self):
        self.optim.zero_grad()

    @torch.no_grad()
    def step(self):
        weight_decays = []
        for group in self.optim.param_groups:
            weight_decay = group["weight_decay"] if "weight_decay" in group else 0
            weight_decays.append(weight_decay)
            group["weight_decay"] = 0
            for p in group["params"]:
                if p.grad is not None:
                    param_norm = torch.norm(p.data)
                    grad_norm = torch.norm(p.grad.data)
                    if param_norm != 0 and grad_norm != 0:
                        adaptive_lr = self.eta * param_norm / (grad_norm + param_norm * weight_decay + self.eps)
                        if self.clip:
                            adaptive_lr = min(adaptive_lr / group["lr"], 1)
                        p.grad.data += weight_decay * p.data
                        p.grad.data *= adaptive_lr
        self.optim.step()
        for i, group in enumerate(self.optim.param_groups):
            group["weight_decay"] = weight_decays[i]


def original_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x = F.normalize(x, dim=1)
    y = F.normalize(y, dim=1)
    return 2 - 2 * (x * y).sum() / x.size(0)


class OriginalBYOL(nn.Module):
    """The original ``BasicalModel`` training step (see the module docstring)."""

    def __init__(self, backbone: str = "dgcnn", k: int = 40, emb_dims: int = 1024, hidden_dim: int = 4096,
                 proj_dim: int = 256, lr: float = 1e-3, weight_decay: float = 0.0, tau0: float = 0.996,
                 total_steps: int = 1000):
        super().__init__()
        if backbone == "dgcnn":
            encoder, feat_dim = OriginalDGCNN(k, emb_dims), 2 * emb_dims
        elif backbone == "pointnet":
            encoder, feat_dim = OriginalPointNet(emb_dims), emb_dims
        else:
            raise ValueError(f"no original re-implementation of backbone {backbone!r}")
        self.target_network = OriginalTarget(copy.deepcopy(encoder), feat_dim, hidden_dim, proj_dim)
        self.online_network = OriginalOnline(encoder, feat_dim, hidden_dim, proj_dim)
        self._update_target(0.0)
        self.tau0, self.total_steps, self.global_step = tau0, total_steps, 0
        self.optimizer = OriginalLARS(torch.optim.Adam(self.parameters(), lr=lr, weight_decay=weight_decay))

    @torch.no_grad()
    def _update_target(self, tau: float) -> None:
        online = self.online_network.state_dict()
        target = self.target_network.state_dict()
        for key in target:
            target[key] = tau * target[key] + (1 - tau) * online[key]
        self.target_network.load_state_dict(target)

    def tau(self) -> float:
        return 1 - (1 - self.tau0) * (math.cos(math.pi * self.global_step / self.total_steps) + 1) / 2

    def forward_loss(self, pc1: torch.Tensor, pc2: torch.Tensor) -> torch.Tensor:
        """``(B, N, 3)`` views -> the symmetric BYOL loss (training_step)."""
        pc1, pc2 = pc1.permute(0, 2, 1), pc2.permute(0, 2, 1)
        _, _, q1 = self.online_network(pc1)
        _, _, q2 = self.online_network(pc2)
        with torch.no_grad():
            _, z1t = self.target_network(pc1)
            _, z2t = self.target_network(pc2)
        return original_loss(q1, z2t) + original_loss(q2, z1t)

    def ema(self) -> None:
        """training_step_end: the EMA over the whole target state_dict."""
        self._update_target(self.tau())

    def optimizer_step(self) -> None:
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.global_step += 1

    def train_step(self, pc1: torch.Tensor, pc2: torch.Tensor) -> float:
        """One full step in the original order: forward, EMA, backward, optimizer."""
        loss = self.forward_loss(pc1, pc2)
        self.ema()
        loss.backward()
        self.optimizer_step()
        return float(loss.detach())

    def encode(self, points: torch.Tensor) -> torch.Tensor:
        """Inference: the online encoder's feature of ``(B, N, 3)`` points."""
        return self.online_network.encoder(points.permute(0, 2, 1))

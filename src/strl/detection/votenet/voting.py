"""VoteNet's voting module (``vgen``): each seed votes for an object centre and a feature."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class VotingModule(nn.Module):
    """Seeds ``(B, S, 3)`` + features ``(B, C, S)`` -> votes ``(B, S·V, 3)`` + features ``(B, C, S·V)``.

    A per-seed MLP (``conv1``-``bn1``-ReLU, ``conv2``-``bn2``-ReLU, ``conv3``; 1x1 Conv1d with bias)
    predicts, for each of ``vote_factor`` (V) votes, an offset (3) added to the seed position and a
    feature residual (C) added to the seed feature. The vote features are L2-normalised over the
    channels, as VoteNet's forward does after the module. Votes of one seed are consecutive.
    """

    def __init__(self, vote_factor: int = 1, seed_feature_dim: int = 256):
        super().__init__()
        self.vote_factor, self.dim = vote_factor, seed_feature_dim
        self.conv1 = nn.Conv1d(seed_feature_dim, seed_feature_dim, 1)
        self.conv2 = nn.Conv1d(seed_feature_dim, seed_feature_dim, 1)
        self.conv3 = nn.Conv1d(seed_feature_dim, (3 + seed_feature_dim) * vote_factor, 1)
        self.bn1 = nn.BatchNorm1d(seed_feature_dim)
        self.bn2 = nn.BatchNorm1d(seed_feature_dim)

    def forward(self, seed_xyz: torch.Tensor, seed_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, s, _ = seed_xyz.shape
        net = F.relu(self.bn1(self.conv1(seed_features)))
        net = F.relu(self.bn2(self.conv2(net)))
        net = self.conv3(net).transpose(1, 2).reshape(b, s, self.vote_factor, 3 + self.dim)
        vote_xyz = (seed_xyz.unsqueeze(2) + net[..., :3]).reshape(b, s * self.vote_factor, 3)
        features = seed_features.transpose(1, 2).unsqueeze(2) + net[..., 3:]
        features = features.reshape(b, s * self.vote_factor, self.dim).transpose(1, 2)
        # x / ||x||, without an epsilon, as the original
        return vote_xyz, features / torch.linalg.vector_norm(features, dim=1, keepdim=True)

"""VoteNet's proposal module (``pnet``): cluster the votes, then one box proposal per cluster."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from strl.backbones.pointnet2 import SetAbstraction
from strl.detection.votenet.box_config import BoxConfig
from strl.errors import ConfigError
from strl.ops.fps import furthest_point_sample

SAMPLINGS = ("vote_fps", "seed_fps")


def split_proposal_scores(net: torch.Tensor, base_xyz: torch.Tensor, box: BoxConfig) -> dict[str, torch.Tensor]:
    """The head's raw output ``(B, num_outputs, K)`` as named predictions (VoteNet's ``decode_scores``).

    Channels in order: objectness 2, centre residual 3 (added to the cluster centres ``base_xyz``
    ``(B, K, 3)``), heading scores NH, normalised heading residuals NH (×π/NH gives radians), size
    scores NS, normalised size residuals 3·NS (cluster-major; × mean size gives metres), semantic NC.
    Returns ``objectness_scores (B, K, 2)``, ``center (B, K, 3)``, ``heading_scores``,
    ``heading_residuals_normalized``, ``heading_residuals`` ``(B, K, NH)``, ``size_scores (B, K, NS)``,
    ``size_residuals_normalized``, ``size_residuals`` ``(B, K, NS, 3)``, ``sem_cls_scores (B, K, NC)``.
    """
    nh, ns, nc = box.num_heading_bin, box.num_size_cluster, box.num_class
    if net.shape[1] != box.num_outputs:
        raise ValueError(f"expected {box.num_outputs} channels for {box.name!r}, got {net.shape[1]}")
    x = net.transpose(1, 2)
    b, k, _ = x.shape
    objectness, center, head_s, head_r, size_s, size_r, sem = torch.split(x, [2, 3, nh, nh, ns, 3 * ns, nc], dim=-1)
    size_r = size_r.reshape(b, k, ns, 3)
    return {
        "objectness_scores": objectness,
        "center": base_xyz + center,
        "heading_scores": head_s,
        "heading_residuals_normalized": head_r,
        "heading_residuals": head_r * (math.pi / nh),
        "size_scores": size_s,
        "size_residuals_normalized": size_r,
        "size_residuals": size_r * box.mean_size_tensor(size_r),
        "sem_cls_scores": sem,
    }


class ProposalModule(nn.Module):
    """Votes ``(B, S, 3)`` + features ``(B, 256, S)`` -> ``num_proposal`` box proposals.

    ``vote_aggregation`` groups the votes within 0.3 m (16 samples, normalised xyz) of
    ``num_proposal`` cluster centres: the farthest-point samples of the votes (``vote_fps``) or
    the votes of the farthest-point samples of the seeds (``seed_fps``). ``conv1``-``bn1``-ReLU,
    ``conv2``-``bn2``-ReLU and ``conv3`` (1x1 Conv1d with bias) give ``box.num_outputs`` channels.
    """

    def __init__(self, box: BoxConfig, num_proposal: int = 256, sampling: str = "vote_fps", seed_feature_dim: int = 256):
        super().__init__()
        if sampling not in SAMPLINGS:
            raise ConfigError(f"unknown cluster sampling {sampling!r}; known: {', '.join(SAMPLINGS)}")
        self.box, self.num_proposal, self.sampling = box, num_proposal, sampling
        self.vote_aggregation = SetAbstraction(num_proposal, 0.3, 16, [seed_feature_dim, 128, 128, 128])
        self.conv1 = nn.Conv1d(128, 128, 1)
        self.conv2 = nn.Conv1d(128, 128, 1)
        self.conv3 = nn.Conv1d(128, box.num_outputs, 1)
        self.bn1 = nn.BatchNorm1d(128)
        self.bn2 = nn.BatchNorm1d(128)

    def forward(self, vote_xyz: torch.Tensor, vote_features: torch.Tensor, seed_xyz: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predictions of :func:`split_proposal_scores`, plus ``aggregated_vote_xyz (B, K, 3)`` and
        ``aggregated_vote_inds (B, K)`` (the votes chosen as cluster centres)."""
        inds = furthest_point_sample(seed_xyz, self.num_proposal) if self.sampling == "seed_fps" else None
        xyz, features, inds = self.vote_aggregation(vote_xyz, vote_features, inds)
        net = F.relu(self.bn1(self.conv1(features)))
        net = F.relu(self.bn2(self.conv2(net)))
        out = split_proposal_scores(self.conv3(net), xyz, self.box)
        return {"aggregated_vote_xyz": xyz, "aggregated_vote_inds": inds, **out}

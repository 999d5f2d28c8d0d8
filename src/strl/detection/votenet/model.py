"""VoteNet: PointNet++ seeds, Hough votes, vote clusters, one box proposal per cluster.

Sub-modules and ``state_dict`` keys are the original's (``backbone_net``, ``vgen``, ``pnet``;
146 keys), so ``{"model_state_dict": model.state_dict()}`` is what facebookresearch/votenet saves
and loads. Only sample counts (which hold no weights) can differ from VoteNet's defaults.
"""

from __future__ import annotations

import torch
from torch import nn

from strl.backbones.pointnet2 import VoteNetBackbone
from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.proposal import ProposalModule
from strl.detection.votenet.voting import VotingModule


class VoteNet(nn.Module):
    """Points ``(B, N, 3 + input_feature_dim)`` -> a dict of per-proposal predictions.

    ``input_feature_dim`` is 1 with VoteNet's height channel, 0 without (STRL pre-trains without).
    ``npoints`` are the backbone's set-abstraction sample counts (S = ``npoints[1]`` seeds) and
    ``num_proposal`` (K) the number of vote clusters; the defaults are VoteNet's.

    The output holds ``seed_xyz (B, S, 3)``, ``seed_inds (B, S)`` (indices of the input points),
    ``vote_xyz (B, S·V, 3)``, ``vote_features (B, 256, S·V)``, ``aggregated_vote_xyz (B, K, 3)``,
    ``aggregated_vote_inds (B, K)`` and the box predictions of
    :func:`strl.detection.votenet.proposal.split_proposal_scores`.
    """

    def __init__(
        self,
        box: BoxConfig,
        input_feature_dim: int = 0,
        npoints: tuple[int, int, int, int] = VoteNetBackbone.default_npoints,
        num_proposal: int = 256,
        vote_factor: int = 1,
        sampling: str = "vote_fps",
    ):
        super().__init__()
        self.box = box
        self.input_feature_dim = input_feature_dim
        self.backbone_net = VoteNetBackbone(input_feature_dim=input_feature_dim, npoints=tuple(npoints))
        self.vgen = VotingModule(vote_factor, VoteNetBackbone.feature_dim)
        self.pnet = ProposalModule(box, num_proposal, sampling, VoteNetBackbone.feature_dim)

    def forward(self, points: torch.Tensor) -> dict[str, torch.Tensor]:
        return votenet_outputs(self.backbone_net, self.vgen, self.pnet, points)


def votenet_outputs(backbone: VoteNetBackbone, vgen: VotingModule, pnet: ProposalModule,
                    points: torch.Tensor) -> dict[str, torch.Tensor]:
    """VoteNet's forward pass through its three parts (the outputs of :class:`VoteNet`)."""
    seeds = backbone.forward_seeds(points)
    vote_xyz, vote_features = vgen(seeds["seed_xyz"], seeds["seed_features"])
    proposals = pnet(vote_xyz, vote_features, seeds["seed_xyz"])
    return {
        "seed_xyz": seeds["seed_xyz"],
        "seed_inds": seeds["seed_inds"],
        "vote_xyz": vote_xyz,
        "vote_features": vote_features,
        **proposals,
    }

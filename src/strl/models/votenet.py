"""3-D detection: facebookresearch/votenet's ``VoteNet`` around a pre-trained VoteNet backbone.

The encoder is VoteNet's ``backbone_net`` (:class:`~strl.backbones.pointnet2.VoteNetBackbone`),
followed by the voting module ``vgen`` and the proposal module ``pnet`` of
:mod:`strl.detection.votenet`. The state_dict with ``encoder.`` renamed ``backbone_net.`` is
VoteNet's (146 keys), which loads strictly into VoteNet's model of the same box parameterisation
and input channels; sample counts and the number of proposals hold no weights.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from strl.backbones.pointnet2 import VoteNetBackbone
from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.model import votenet_outputs
from strl.detection.votenet.proposal import ProposalModule
from strl.detection.votenet.voting import VotingModule
from strl.models.base import ENCODER_PREFIX, TaskModel

VOTENET_BACKBONE_PREFIX = "backbone_net."


class VoteNetDetector(TaskModel):
    """Points ``(B, N, 3 + F)`` -> VoteNet's outputs (see :class:`strl.detection.votenet.VoteNet`).

    ``npoints``: the encoder's set-abstraction sample counts for this task (None: as it is);
    ``use_height``: take VoteNet's height channel as a 4th input channel, whose first-layer
    weights start at zero (:meth:`VoteNetBackbone.widen_input`). ``box`` is the dataset's box
    parameterisation, ``num_proposal`` the number of vote clusters.
    """

    def __init__(self, encoder: VoteNetBackbone, box: BoxConfig, num_proposal: int = 256, npoints=None,
                 use_height: bool = False):
        super().__init__()
        if not isinstance(encoder, VoteNetBackbone):
            raise TypeError(f"VoteNetDetector needs a VoteNetBackbone encoder, got {type(encoder).__name__}")
        if npoints:
            encoder.set_sample_counts(npoints)
        if use_height:
            encoder.widen_input(1)
        self.encoder = encoder
        self.box = box
        self.vgen = VotingModule(1, VoteNetBackbone.feature_dim)
        self.pnet = ProposalModule(box, num_proposal, "vote_fps", VoteNetBackbone.feature_dim)

    def forward(self, points: torch.Tensor) -> dict[str, torch.Tensor]:
        return votenet_outputs(self.encoder, self.vgen, self.pnet, points)

    def downstream_state_dict(self, keep_vars: bool = False) -> "OrderedDict[str, torch.Tensor]":
        """VoteNet's state_dict: ``backbone_net.*``, ``vgen.*``, ``pnet.*`` in VoteNet's order."""
        return OrderedDict((VOTENET_BACKBONE_PREFIX + key.removeprefix(ENCODER_PREFIX) if key.startswith(ENCODER_PREFIX)
                            else key, value) for key, value in self.state_dict(keep_vars=keep_vars).items())


def set_bn_momentum(model: nn.Module, momentum: float) -> None:
    """Set the momentum of every BatchNorm layer of ``model`` (VoteNet's ``BNMomentumScheduler`` setter)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = momentum


def votenet_bn_momentum(epoch: int, decay_step: int, initial: float = 0.5, rate: float = 0.5, floor: float = 0.001) -> float:
    """VoteNet's BatchNorm momentum at ``epoch`` (from 0): ``max(initial * rate ** (epoch // decay_step), floor)``."""
    return max(initial * rate ** (epoch // decay_step), floor)

"""What every downstream task model shares: a pre-trained ``encoder`` plus a head, and the
state_dict layout of the reference code that fine-tunes that encoder.

The head modules are children of the task model under the reference names (``linear1``,
``bn6``, ``conv9``, ...), registered after ``encoder``. The reference models keep encoder and head
in one flat module, so the model's ``state_dict`` with the ``encoder.`` prefix removed is the
reference state_dict, in the reference order (:meth:`TaskModel.downstream_state_dict`).

Some encoders carry the first modules of the head because the original checkpoints do
(``untrained_prefixes``: e.g. ``conv7``/``conv8`` of the Semseg encoder, ``bn7..bn10`` of the
Partseg one). They count as head here: they get the head's learning rate, and freezing the
encoder leaves them trainable.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

ENCODER_PREFIX = "encoder."


class TaskModel(nn.Module):
    """Base of the task models. Subclasses set ``self.encoder`` first, then the head modules."""

    encoder: nn.Module

    def __init__(self):
        super().__init__()
        self.encoder_frozen = False

    def _head_prefixes(self) -> tuple[str, ...]:
        """State-dict prefixes, inside the encoder, of modules that belong to the head."""
        return tuple(getattr(self.encoder, "untrained_prefixes", ()))

    def _is_encoder_parameter(self, name: str) -> bool:
        return name.startswith(ENCODER_PREFIX) and not name[len(ENCODER_PREFIX):].startswith(self._head_prefixes())

    def encoder_parameters(self) -> list[nn.Parameter]:
        """The pre-trained parameters (the encoder without the head modules it carries)."""
        return [p for name, p in self.named_parameters() if self._is_encoder_parameter(name)]

    def head_parameters(self) -> list[nn.Parameter]:
        """Every other parameter: the head, including the head modules the encoder carries."""
        return [p for name, p in self.named_parameters() if not self._is_encoder_parameter(name)]

    def freeze_encoder(self, frozen: bool = True) -> None:
        """Stop (or resume) training the pre-trained part: its parameters get ``requires_grad=False``
        and, in training mode, its modules stay in eval mode (BatchNorm normalises with its running
        statistics and leaves them unchanged), so the frozen encoder computes fixed features."""
        self.encoder_frozen = frozen
        for p in self.encoder_parameters():
            p.requires_grad_(not frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> "TaskModel":
        super().train(mode)
        if mode and getattr(self, "encoder_frozen", False):
            head = self._head_prefixes()
            for name, module in self.encoder.named_modules():
                if name and not (name + ".").startswith(head):
                    module.training = False
        return self

    def downstream_state_dict(self, keep_vars: bool = False) -> "OrderedDict[str, torch.Tensor]":
        """The flat state_dict of the reference model (keys without ``encoder.``), which loads
        with ``strict=True`` into it. ``keep_vars``: parameters as ``nn.Parameter`` (with ``.grad``)."""
        return OrderedDict((key.removeprefix(ENCODER_PREFIX), value) for key, value in self.state_dict(keep_vars=keep_vars).items())

    def load_downstream_state_dict(self, state: dict, strict: bool = True):
        """Load a state_dict in the reference layout (e.g. a fine-tuned checkpoint of the reference
        code; a ``module.`` prefix of DataParallel on every key is removed). Returns what
        ``load_state_dict`` returns."""
        if state and all(key.startswith("module.") for key in state):
            state = {key[len("module."):]: value for key, value in state.items()}
        encoder_keys = set(self.encoder.state_dict())
        ours = {(ENCODER_PREFIX + key if key in encoder_keys else key): value for key, value in state.items()}
        return self.load_state_dict(ours, strict=strict)


def conv_on_global_and_local(layer: nn.Sequential, global_feature: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
    """``layer`` (Conv1d 1x1, BatchNorm1d, activation) on ``cat(global repeated over points, local)``
    without building that tensor: ``(B, G)``, ``(B, L, N)`` -> ``(B, C', N)``.

    The reference heads repeat the global feature at every point (1216 or 1280 channels per
    point); a 1x1 convolution of it is ``W_g g + W_l x_n``, so ``W_g g`` is computed once per cloud.
    """
    conv, rest = layer[0], layer[1:]
    g = global_feature.shape[1]
    w = conv.weight.squeeze(-1)  # (C', G + L)
    h = torch.matmul(w[:, g:], local) + (global_feature @ w[:, :g].t()).unsqueeze(-1)
    if conv.bias is not None:
        h = h + conv.bias.unsqueeze(-1)
    return rest(h)

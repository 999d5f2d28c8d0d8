"""Write a fine-tuned detector as facebookresearch/votenet loads it.

VoteNet's ``eval.py`` (and ``train.py --checkpoint_path``) reads ``checkpoint.tar`` as
``net.load_state_dict(ckpt["model_state_dict"])`` (strict), then
``optimizer.load_state_dict(ckpt["optimizer_state_dict"])`` for an ``Adam(net.parameters())`` and
``ckpt["epoch"]``: all three keys must be present.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from strl.checkpoints.export import atomic_torch_save


def fresh_adam_state(model: nn.Module, lr: float = 1e-3) -> dict:
    """The ``state_dict`` of a new ``Adam(model.parameters(), lr)`` with VoteNet's settings (wd 0)."""
    n = sum(1 for _ in model.parameters())
    group = {"lr": lr, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False, "params": list(range(n))}
    return {"state": {}, "param_groups": [group]}


def votenet_checkpoint(model: nn.Module, epoch: int = 0, optimizer_state: dict | None = None) -> dict:
    """``{"model_state_dict", "optimizer_state_dict", "epoch"}`` with CPU tensors, the layout of
    VoteNet's ``checkpoint.tar``. Without ``optimizer_state`` a fresh Adam's state is written."""
    return {
        "model_state_dict": OrderedDict((k, v.detach().cpu()) for k, v in model.state_dict().items()),
        "optimizer_state_dict": optimizer_state if optimizer_state is not None else fresh_adam_state(model),
        "epoch": int(epoch),
    }


def export_votenet(model: nn.Module, path: str, epoch: int = 0, optimizer_state: dict | None = None) -> str:
    """Save :func:`votenet_checkpoint` of ``model`` to ``path`` atomically; returns ``path``."""
    atomic_torch_save(votenet_checkpoint(model, epoch, optimizer_state), path)
    return path

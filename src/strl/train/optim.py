"""Optimizers (Adam, AdamW, SGD), the LARS wrapper the original used, and the LR schedule."""

from __future__ import annotations

import math

import torch

from strl.errors import ConfigError


class LARS(torch.optim.Optimizer):
    """Layer-wise adaptive rate scaling around any optimizer (the original's ``LARSWrapper``).

    Before the inner step each gradient becomes ``(g + wd * p) * min(eta * |p| / (|g| + wd |p| + eps) / lr, 1)``
    (with ``clip``), and the inner optimizer runs with weight decay 0. Unlike the original, weight
    decay is kept for zero-norm tensors, ``step`` accepts a closure, and 1-D tensors (biases,
    BatchNorm) are left unscaled when ``exclude_1d``.
    """

    def __init__(self, inner: torch.optim.Optimizer, eta: float = 0.02, clip: bool = True, eps: float = 1e-8, exclude_1d: bool = False):
        self.inner, self.eta, self.clip, self.eps, self.exclude_1d = inner, eta, clip, eps, exclude_1d
        self.defaults = inner.defaults
        self._optimizer_step_pre_hooks = {}
        self._optimizer_step_post_hooks = {}
        self._optimizer_state_dict_pre_hooks = {}
        self._optimizer_state_dict_post_hooks = {}
        self._optimizer_load_state_dict_pre_hooks = {}
        self._optimizer_load_state_dict_post_hooks = {}

    # param_groups and state always belong to the inner optimizer: loading a state_dict replaces its
    # lists, and LR schedulers must see (and change) the ones it steps with.
    @property
    def param_groups(self):
        return self.inner.param_groups

    @param_groups.setter
    def param_groups(self, value):
        self.inner.param_groups = value

    @property
    def state(self):
        return self.inner.state

    @state.setter
    def state(self, value):
        self.inner.state = value

    def state_dict(self):
        return self.inner.state_dict()

    def load_state_dict(self, state_dict):
        self.inner.load_state_dict(state_dict)

    def zero_grad(self, set_to_none: bool = True):
        self.inner.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        saved = []
        for group in self.param_groups:
            wd = group.get("weight_decay", 0.0)
            saved.append(wd)
            group["weight_decay"] = 0.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                pn, gn = torch.linalg.vector_norm(p), torch.linalg.vector_norm(p.grad)
                if wd:
                    p.grad.add_(p, alpha=wd)
                if self.exclude_1d and p.ndim <= 1:
                    continue
                local = self.eta * pn / (gn + pn * wd + self.eps)
                if self.clip:
                    local = torch.clamp(local / group["lr"], max=1.0)
                scale = torch.where((pn > 0) & (gn > 0), local, torch.ones_like(local))
                p.grad.mul_(scale)
        self.inner.step()
        for group, wd in zip(self.param_groups, saved):
            group["weight_decay"] = wd
        return loss


def build_optimizer(params, name: str, lr: float, weight_decay: float = 0.0, momentum: float = 0.9, lars: bool = False):
    """``adam`` | ``adamw`` | ``sgd``, optionally wrapped in :class:`LARS`."""
    params = list(params)
    if name == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif name == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    elif name == "sgd":
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=momentum)
    else:
        raise ConfigError(f"unknown optimizer {name!r}; known: adam, adamw, sgd")
    return LARS(opt) if lars else opt


def cosine_lr_lambda(total_steps: int, warmup_steps: int = 0):
    """LR multiplier per optimizer step: linear warm-up, then cosine decay to 0 at ``total_steps``."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor

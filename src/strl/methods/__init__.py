"""Self-supervised methods: each a short class on :class:`strl.methods.base.Method`."""

from __future__ import annotations

from strl.methods.base import Method
from strl.methods.byol import BYOL
from strl.methods.simclr import SimCLR
from strl.registry import Registry

METHODS: Registry = Registry("method")
METHODS.register("byol")(BYOL)
METHODS.register("simclr")(SimCLR)

__all__ = ["METHODS", "Method", "BYOL", "SimCLR"]

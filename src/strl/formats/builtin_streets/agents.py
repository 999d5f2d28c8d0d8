"""The labelled things of a street (cars, vans, trucks, pedestrians, cyclists) and how they move.

Each agent has a KITTI class, full sizes ``(l, w, h)``, a pose at ``t = 0`` (ground position
``x, y``, the height ``z`` of the surface it stands on, heading ``yaw``) and a speed along its
heading (0: parked or standing). Its solids are built in its own frame and owned by its index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .solids import Solids


@dataclass
class Agents:
    """``A`` agents. names ``(A,)`` str; sizes ``(A, 3)`` l, w, h; pose ``(A, 4)`` x, y, z, yaw at
    ``t = 0``; speed ``(A,)`` m/s; parts: their solids in their own frames, ``owner`` = agent index."""

    names: np.ndarray
    sizes: np.ndarray
    pose: np.ndarray
    speed: np.ndarray
    parts: Solids

    def __len__(self) -> int:
        return len(self.names)

    def poses_at(self, t: float) -> np.ndarray:
        """``(A, 4)`` x, y, z, yaw at time ``t`` (seconds): straight on along the heading."""
        out = self.pose.copy()
        out[:, 0] += self.speed * t * np.cos(self.pose[:, 3])
        out[:, 1] += self.speed * t * np.sin(self.pose[:, 3])
        return out

    def boxes_at(self, t: float) -> np.ndarray:
        """``(A, 7)`` box7 of every agent at time ``t``, in the world."""
        p = self.poses_at(t)
        return np.column_stack([p[:, 0], p[:, 1], p[:, 2] + self.sizes[:, 2] / 2, self.sizes, p[:, 3]])

    def solids_at(self, t: float) -> Solids:
        """Every agent's solids at time ``t``, in the world."""
        p = self.poses_at(t)[self.parts.owner]
        return self.parts.placed(p[:, 0], p[:, 1], p[:, 2], p[:, 3])


@dataclass
class AgentList:
    """Agents added one at a time while a street is laid out; :meth:`build` makes :class:`Agents`."""

    rows: list = field(default_factory=list)
    parts: list = field(default_factory=list)

    def add(self, name: str, size, parts: Solids, x: float, y: float, z: float, yaw: float, speed: float) -> int:
        index = len(self.rows)
        self.rows.append((name, *size, x, y, z, yaw, speed))
        self.parts.append(parts.with_owner(index))
        return index

    def build(self) -> Agents:
        names = np.array([r[0] for r in self.rows], dtype=str)
        values = np.array([r[1:] for r in self.rows], dtype=np.float64).reshape(-1, 8)
        return Agents(names, values[:, :3], values[:, 3:7], values[:, 7], Solids.concat(self.parts))

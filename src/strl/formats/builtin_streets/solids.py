"""The simple solids a street is built of: oriented boxes and upright cylinders, in one table.

Every solid is 7 numbers in the ``box7`` layout of :mod:`strl.geometry.boxes` — ``(cx, cy, cz,
dx, dy, dz, heading)``, centre and full sizes, heading about +z — plus a kind: a **box** fills
that box, a **cylinder** is the upright cylinder inscribed in it (radius ``dx / 2``; ``dy`` is
ignored, the heading too). Each solid also carries the object it belongs to (``owner``, -1 for
scenery), the reflectance of its material and the probability that a LiDAR return from it is
lost (``dropout``: dark glass, tyres).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

BOX, CYLINDER = 0, 1


@dataclass
class Solids:
    """``S`` solids. params ``(S, 7)`` float64 box7; kind ``(S,)`` int8 (:data:`BOX` or
    :data:`CYLINDER`); owner ``(S,)`` int64; reflectance ``(S,)`` and dropout ``(S,)`` float64."""

    params: np.ndarray
    kind: np.ndarray
    owner: np.ndarray
    reflectance: np.ndarray
    dropout: np.ndarray

    def __len__(self) -> int:
        return len(self.params)

    @classmethod
    def empty(cls) -> "Solids":
        return cls(np.zeros((0, 7)), np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    @classmethod
    def concat(cls, parts: list["Solids"]) -> "Solids":
        """All solids of ``parts`` in order (an empty list gives no solid)."""
        if not parts:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def select(self, index) -> "Solids":
        """The solids picked by ``index`` (a boolean mask or integer indices)."""
        return Solids(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def with_owner(self, owner: int | np.ndarray) -> "Solids":
        """The same solids belonging to ``owner`` (one id, or ``(S,)`` ids)."""
        return Solids(self.params, self.kind, _column(owner, len(self), np.int64), self.reflectance, self.dropout)

    def placed(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, yaw: np.ndarray) -> "Solids":
        """Each solid moved from its object's frame by a turn ``yaw`` about +z, then by ``(x, y, z)``.

        ``x, y, z, yaw``: one value each, or ``(S,)`` (a pose per solid, e.g. its owner's).
        """
        c, s = np.cos(yaw), np.sin(yaw)
        p = self.params.copy()
        px, py = self.params[:, 0], self.params[:, 1]
        p[:, 0] = c * px - s * py + x
        p[:, 1] = s * px + c * py + y
        p[:, 2] = self.params[:, 2] + z
        p[:, 6] = self.params[:, 6] + yaw
        return Solids(p, self.kind, self.owner, self.reflectance, self.dropout)

    def footprint_radius(self) -> np.ndarray:
        """``(S,)`` radius of the circle about each centre that holds the solid seen from above."""
        box_radius = np.hypot(self.params[:, 3], self.params[:, 4]) / 2
        return np.where(self.kind == CYLINDER, self.params[:, 3] / 2, box_radius)


def _column(value, n: int, dtype) -> np.ndarray:
    """``(n,)`` of ``dtype``: a scalar repeated, or a copy of ``n`` values."""
    return np.full(n, value, dtype) if np.ndim(value) == 0 else np.array(value, dtype).reshape(n)


def solids(kind: int, params, reflectance, dropout=0.0, owner=-1) -> Solids:
    """``S`` solids of one kind from ``params`` ``(S, 7)`` (or one ``(7,)``); the other fields: one
    value each, or ``(S,)``."""
    p = np.asarray(params, np.float64).reshape(-1, 7)
    n = len(p)
    return Solids(p, np.full(n, kind, np.int8), _column(owner, n, np.int64), _column(reflectance, n, np.float64),
                  _column(dropout, n, np.float64))


def box(cx, cy, cz, dx, dy, dz, heading=0.0, *, reflectance: float, dropout: float = 0.0) -> Solids:
    """One box by centre, full sizes and heading."""
    return solids(BOX, [cx, cy, cz, dx, dy, dz, heading], reflectance, dropout)


def block(x0, x1, y0, y1, z0, z1, *, reflectance: float, dropout: float = 0.0) -> Solids:
    """One axis-aligned box by its bounds ``[x0, x1] x [y0, y1] x [z0, z1]``."""
    return box((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2, x1 - x0, y1 - y0, z1 - z0,
               reflectance=reflectance, dropout=dropout)


def cylinder(cx, cy, z0, z1, radius, *, reflectance: float, dropout: float = 0.0) -> Solids:
    """One upright cylinder: axis at ``(cx, cy)``, from height ``z0`` to ``z1``."""
    return solids(CYLINDER, [cx, cy, (z0 + z1) / 2, 2 * radius, 2 * radius, z1 - z0, 0.0], reflectance, dropout)

"""The classes of the built-in rooms and the shapes that make them (the built-in object shapes).

Box classes are the furniture the rooms hold; semantic classes add the floor, the walls and
``clutter`` (mugs, cups, vases and bottles standing on furniture, labelled but without boxes), the
way S3DIS and ScanNet label small things. Every shape function takes a ``numpy.random.Generator``
and returns parts in metres, y-up, standing on ``y = 0`` with the front at ``+z``
(:mod:`strl.formats.builtin`).
"""

from __future__ import annotations

import numpy as np

from strl.formats.builtin.classes import SHAPE_CLASSES
from strl.formats.builtin.furniture import drawer_unit

BOX_CLASSES: tuple[str, ...] = ("bed", "table", "sofa", "chair", "armchair", "stool", "desk", "bookshelf", "cabinet",
                                "lamp")
SEMANTIC_CLASSES: tuple[str, ...] = ("floor", "wall", *BOX_CLASSES, "clutter")
FLOOR, WALL, CLUTTER = 0, 1, len(SEMANTIC_CLASSES) - 1
CLUTTER_SHAPES = ("mug", "cup", "vase", "bottle")

#: Mean full box sizes ``(dx, dy, dz)`` per box class, used for a class that has no box in a
#: generated training split (measured on the ``default`` rooms, seed 0, training split).
NOMINAL_SIZES = np.array([
    [1.47, 2.15, 1.01], [1.24, 1.03, 0.64], [2.16, 1.08, 0.73], [0.50, 0.53, 0.90], [0.77, 0.81, 0.81],
    [0.45, 0.44, 0.59], [1.40, 0.66, 0.84], [1.17, 0.34, 1.26], [0.79, 0.50, 0.94], [0.38, 0.35, 1.15],
], dtype=np.float32)


def cabinet(rng: np.random.Generator):
    """A night stand, chest of drawers or tall cabinet: the desk's drawer unit standing alone."""
    kind = rng.choice(["night_stand", "dresser", "tall"])
    if kind == "night_stand":
        w, d, h = rng.uniform(0.4, 0.6), rng.uniform(0.35, 0.5), rng.uniform(0.45, 0.7)
    elif kind == "dresser":
        w, d, h = rng.uniform(0.8, 1.5), rng.uniform(0.4, 0.6), rng.uniform(0.7, 1.1)
    else:
        w, d, h = rng.uniform(0.5, 1.0), rng.uniform(0.4, 0.6), rng.uniform(1.2, 1.9)
    return drawer_unit(rng, 0.0, w, h, d)


SHAPES = {**{name: SHAPE_CLASSES[name] for name in BOX_CLASSES if name in SHAPE_CLASSES}, "cabinet": cabinet,
          **{name: SHAPE_CLASSES[name] for name in CLUTTER_SHAPES}}


def semantic_of(kind: str) -> int:
    """The semantic class of a shape name: its box class, or ``clutter``."""
    return SEMANTIC_CLASSES.index(kind) if kind in BOX_CLASSES else CLUTTER

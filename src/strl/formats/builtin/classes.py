"""The built-in object classes: name → generator ``(rng) -> list of parts``, in label order.

Look-alike groups are intentional: chair / armchair / stool / sofa, table / desk, bed / sofa,
mug / cup / vase / bottle, bookshelf / desk.
"""

from __future__ import annotations

from .furniture import bed, bookshelf, desk, table
from .seating import armchair, chair, sofa, stool
from .things import airplane, lamp
from .vessels import bottle, cup, mug, vase

SHAPE_CLASSES = {
    "chair": chair,
    "armchair": armchair,
    "stool": stool,
    "sofa": sofa,
    "bed": bed,
    "table": table,
    "desk": desk,
    "bookshelf": bookshelf,
    "lamp": lamp,
    "mug": mug,
    "cup": cup,
    "vase": vase,
    "bottle": bottle,
    "airplane": airplane,
}

CLASS_NAMES: tuple[str, ...] = tuple(SHAPE_CLASSES)

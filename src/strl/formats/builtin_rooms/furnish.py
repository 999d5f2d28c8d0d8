"""A furnished room: its size, and built-in objects placed upright without collisions.

Rooms are rectangles ``x in [-hx, hx]``, ``y in [-hy, hy]`` with the floor at ``z = 0`` and walls
of one height; there is no ceiling (an RGB-D scan seen from above, like ScanNet's meshes, rarely
holds one). A room type (bedroom, living room, office, dining room) picks groups of furniture:

* against a wall, back to it: beds (with night stands beside them), sofas, bookshelves, cabinets,
  desks (with a chair in front), floor lamps;
* free standing: dining tables with chairs round them, coffee tables in front of sofas with
  armchairs beside them, stools, armchairs, at headings near the room's axes or at random;
* on top of tables, desks, cabinets and bookshelves up to 1.3 m high: table lamps and clutter (mugs, cups,
  vases, bottles), standing where the support's top is flat under their whole footprint.

Objects that find no free place within a few tries are left out. Footprints (the boxes seen from
above) never overlap and stay inside the walls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .classes import CLUTTER_SHAPES
from .shapes import Placed, Shape, heading_with_back_to, rectangle_corners, rectangles_overlap, rot_z, sample_shape

WALL_NORMALS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # outward, walls 0..3
MARGIN = 0.05  # free space kept between footprints (m)
TRIES = 15

# room type -> (side length range in metres, [(group, min count, max count), ...])
ROOM_TYPES = {
    "bedroom": ((3.0, 5.5), [("bed", 1, 2), ("cabinet", 1, 3), ("desk", 0, 1), ("bookshelf", 0, 2),
                             ("armchair", 0, 1), ("chair", 0, 1), ("floor_lamp", 0, 1)]),
    "living": ((3.5, 7.0), [("lounge", 1, 1), ("sofa", 0, 1), ("bookshelf", 1, 2), ("cabinet", 1, 3),
                            ("armchair", 0, 2), ("stool", 0, 2), ("desk", 0, 1), ("floor_lamp", 0, 2)]),
    "office": ((3.5, 7.0), [("desk", 2, 4), ("bookshelf", 1, 3), ("cabinet", 1, 3), ("dining", 0, 1),
                            ("chair", 0, 2), ("floor_lamp", 0, 1)]),
    "dining": ((3.5, 6.0), [("dining", 1, 2), ("cabinet", 1, 4), ("bookshelf", 0, 2), ("stool", 0, 3),
                            ("armchair", 0, 1), ("sofa", 0, 1), ("floor_lamp", 0, 1)]),
}
# support kind -> expected number of things put on it
ON_TOP = {"table": 1.5, "desk": 1.5, "cabinet": 0.8, "bookshelf": 0.5}
MAX_SUPPORT = 1.3  # nothing is put on furniture higher than this (m)


@dataclass
class Room:
    """A furnished room: half sizes ``half`` ``(2,)``, wall height, type, its objects (box classes
    first, then the clutter) and their sample ``density`` (points per square metre)."""

    half: np.ndarray
    wall_height: float
    kind: str
    objects: list[Placed] = field(default_factory=list)
    density: float = 1000.0

    @property
    def spacing(self) -> float:
        """Mean distance between neighbouring samples of an object's surface (m)."""
        return float(1.0 / np.sqrt(self.density))


class Furnisher:
    """Places objects into one room, drawing everything from ``rng``; ``density`` is the sample
    density of every object (points per square metre of its surface)."""

    def __init__(self, rng: np.random.Generator, half: np.ndarray, density: float):
        self.rng, self.half, self.density = rng, half, density
        self.placed: list[Placed] = []
        self.walls: dict[int, tuple[int, float]] = {}  # placed index -> (wall, position along it)

    def shape(self, kind: str) -> Shape:
        return sample_shape(self.rng, kind, self.density)

    def fits(self, obj: Placed, others: list[Placed] | None = None) -> bool:
        """Inside the walls and clear of ``others`` (default: everything placed on the floor)."""
        corners = rectangle_corners(obj.footprint)
        if (np.abs(corners) > self.half - 0.005).any():
            return False
        others = self.placed if others is None else others
        if not others:
            return True
        return not rectangles_overlap(obj.footprint, np.stack([o.footprint for o in others]), MARGIN).any()

    def add(self, obj: Placed | None, wall: tuple[int, float] | None = None) -> Placed | None:
        if obj is not None:
            if wall is not None:
                self.walls[len(self.placed)] = wall
            self.placed.append(obj)
        return obj

    def at_wall(self, shape: Shape, wall: int | None = None, along: float | None = None) -> Placed | None:
        """``shape`` with its back to a wall (random unless given), at ``along`` metres from the
        wall's middle (random unless given), a few centimetres off it."""
        for _ in range(TRIES if along is None else 1):
            w = int(self.rng.integers(4)) if wall is None else wall
            n = WALL_NORMALS[w]
            tangent = np.array([-n[1], n[0]])
            length = 2 * self.half[1 - w % 2]
            room = self.half[w % 2]
            free = (length - shape.size[0]) / 2 - 0.02
            if free < 0:
                continue
            s = self.rng.uniform(-free, free) if along is None else along
            depth = room - self.rng.uniform(0.01, 0.06) - shape.size[1] / 2
            obj = Placed(shape, heading_with_back_to(n), n * depth + tangent * s)
            if self.fits(obj):
                return self.add(obj, (w, s))
        return None

    def free(self, shape: Shape, aligned: float = 0.7) -> Placed | None:
        """``shape`` anywhere on the floor; turned near a multiple of 90 degrees with probability
        ``aligned``, else at any heading."""
        reach = np.linalg.norm(shape.size[:2]) / 2
        if (self.half < reach + 0.05).any():
            return None
        for _ in range(TRIES):
            if self.rng.random() < aligned:
                heading = self.rng.integers(4) * np.pi / 2 + self.rng.normal(0, np.deg2rad(4))
            else:
                heading = self.rng.uniform(-np.pi, np.pi)
            obj = Placed(shape, heading, self.rng.uniform(-self.half + reach, self.half - reach))
            if self.fits(obj):
                return self.add(obj)
        return None

    def facing(self, shape: Shape, target: Placed, side: np.ndarray, along: float = 0.0, gap=(0.05, 0.3),
               turn_deg: float = 8.0) -> Placed | None:
        """``shape`` in front of the side of ``target`` whose outward normal is ``side`` ``(2,)`` in
        the target's frame, ``along`` metres along it, facing the target (back away from it)."""
        n = rot_z(target.heading) @ side
        tangent = np.array([-n[1], n[0]])
        distance = abs(side @ target.shape.size[:2]) / 2 + self.rng.uniform(*gap) + shape.size[1] / 2
        heading = heading_with_back_to(n) + self.rng.normal(0, np.deg2rad(turn_deg))
        obj = Placed(shape, heading, target.center + n * distance + tangent * along)
        return self.add(obj) if self.fits(obj) else None

    def beside(self, shape: Shape, anchor_index: int) -> Placed | None:
        """``shape`` against the same wall as placed object ``anchor_index``, next to it."""
        if anchor_index not in self.walls:
            return None
        wall, s = self.walls[anchor_index]
        width = self.placed[anchor_index].shape.size[0]
        side = self.rng.choice([-1.0, 1.0])
        for sign in (side, -side):
            obj = self.at_wall(shape, wall, s + sign * (width / 2 + self.rng.uniform(0.02, 0.15) + shape.size[0] / 2))
            if obj is not None:
                return obj
        return None

    def on_top(self, shape: Shape, support: Placed, items: list[Placed]) -> Placed | None:
        """``shape`` standing on ``support`` where its top is flat (within 1 cm) under the whole
        footprint, clear of the other ``items`` on it."""
        radius = np.linalg.norm(shape.size[:2]) / 2
        room = support.shape.size[:2] / 2 - radius
        if (room <= 0).any():
            return None
        top = TopHeights(support.world()[0], cell=max(0.03, 1.5 / np.sqrt(self.density)))
        probes = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]]) * radius
        for _ in range(TRIES):
            center = support.center + rot_z(support.heading) @ self.rng.uniform(-room, room)
            heights = top(center + probes)
            if not np.isfinite(heights).all() or np.ptp(heights) > 0.01:
                continue
            obj = Placed(shape, self.rng.uniform(-np.pi, np.pi), center, float(heights.max()))
            if not items or not rectangles_overlap(obj.footprint, np.stack([o.footprint for o in items]), 0.02).any():
                return obj
        return None


class TopHeights:
    """The highest of ``points`` ``(M, 3)`` in each ``cell`` x ``cell`` square seen from above;
    calling it with ``xy`` ``(P, 2)`` gives those heights ``(P,)`` (``-inf`` where no point is)."""

    def __init__(self, points: np.ndarray, cell: float = 0.03):
        self.cell, self.lo = cell, points[:, :2].min(axis=0)
        index = np.floor((points[:, :2] - self.lo) / cell).astype(np.int64)
        self.grid = np.full(index.max(axis=0) + 1, -np.inf)
        np.maximum.at(self.grid, (index[:, 0], index[:, 1]), points[:, 2])

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        index = np.floor((xy - self.lo) / self.cell).astype(np.int64)
        inside = ((index >= 0) & (index < self.grid.shape)).all(axis=1)
        index = np.where(inside[:, None], index, 0)
        return np.where(inside, self.grid[index[:, 0], index[:, 1]], -np.inf)


def lamp(furnisher: Furnisher, tall: bool) -> Shape | None:
    """A lamp at least (``tall``) or at most 0.9 m high, or None after a few draws."""
    for _ in range(6):
        shape = furnisher.shape("lamp")
        if (shape.size[2] > 0.9) == tall:
            return shape
    return None


def place_group(f: Furnisher, group: str) -> None:
    """Place one group of furniture (see the module docstring)."""
    rng = f.rng
    if group == "bed":
        if f.at_wall(f.shape("bed")) is not None:
            bed = len(f.placed) - 1
            for _ in range(int(rng.integers(0, 3))):
                f.beside(f.shape("cabinet"), bed)
    elif group == "desk":
        desk = f.at_wall(f.shape("desk"))
        if desk is not None:
            f.facing(f.shape("chair"), desk, np.array([0.0, -1.0]), rng.normal(0, 0.1), gap=(0.0, 0.25))
    elif group == "dining":
        table = f.free(f.shape("table"), aligned=0.85)
        if table is not None:
            for side in WALL_NORMALS:
                if rng.random() < 0.7:
                    length = abs(np.array([-side[1], side[0]]) @ table.shape.size[:2])
                    count = int(rng.integers(1, max(1, int(length / 0.6)) + 1))
                    chair = f.shape("chair")
                    for along in (np.arange(count) - (count - 1) / 2) * length / count:
                        f.facing(chair, table, side, along)
    elif group == "lounge":
        sofa = f.at_wall(f.shape("sofa"))
        if sofa is not None and rng.random() < 0.8:
            table = f.facing(f.shape("table"), sofa, np.array([0.0, -1.0]), gap=(0.35, 0.7), turn_deg=3.0)
            if table is not None:
                for side in (np.array([1.0, 0.0]), np.array([-1.0, 0.0])):
                    if rng.random() < 0.5:
                        f.facing(f.shape("armchair"), table, side, gap=(0.2, 0.5), turn_deg=15.0)
    elif group == "floor_lamp":
        shape = lamp(f, tall=True)
        if shape is not None:
            f.at_wall(shape)
    elif group in ("bookshelf", "cabinet", "sofa"):
        f.at_wall(f.shape(group))
    else:  # stool, armchair, chair
        f.free(f.shape(group), aligned=0.3)


def place_on_top(f: Furnisher) -> list[Placed]:
    """Table lamps and clutter on the supports placed so far (see :data:`ON_TOP`)."""
    things = []
    for support in list(f.placed):
        rate = ON_TOP.get(support.kind, 0.0) if support.top <= MAX_SUPPORT else 0.0
        items: list[Placed] = []
        for _ in range(int(f.rng.poisson(rate))):
            if support.kind in ("desk", "cabinet", "table") and f.rng.random() < 0.2:
                shape = lamp(f, tall=False)
            else:
                shape = f.shape(str(f.rng.choice(CLUTTER_SHAPES)))
            obj = None if shape is None else f.on_top(shape, support, items)
            if obj is not None:
                items.append(obj)
        things += items
    return things


def furnish_room(rng: np.random.Generator, density: float) -> Room:
    """A new room of a random type, furnished (see the module docstring), its objects sampled with
    ``density`` points per square metre."""
    kind = str(rng.choice(list(ROOM_TYPES)))
    (low, high), groups = ROOM_TYPES[kind]
    half = rng.uniform(low, high, 2) / 2
    f = Furnisher(rng, half, density)
    for group, lo, hi in groups:
        for _ in range(int(rng.integers(lo, hi + 1))):
            place_group(f, group)
    on_top = place_on_top(f)
    objects = f.placed + on_top
    objects = [o for o in objects if o.has_box] + [o for o in objects if not o.has_box]
    return Room(half, float(rng.uniform(2.4, 3.0)), kind, objects, density)

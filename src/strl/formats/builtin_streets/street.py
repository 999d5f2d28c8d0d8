"""A random street: its cross-section, scenery, parked and moving agents, and the ego car's path.

The street runs along the world's x axis, the road surface is the plane ``z = 0`` and traffic
keeps right: lanes on the right side (``y < 0``) drive towards +x, those on the left towards -x.
From the centre line outwards each side has its traffic lanes, an optional bike lane, an
optional parking strip (parallel or perpendicular parking), a kerb, a raised sidewalk, and a row
of building façades with gaps and different setbacks (hedges in front of some). Poles and trees
stand on the sidewalks.

Agents: parked vehicles along the kerbs, moving vehicles in every lane (those in the ego's lane
at the ego's speed, so none runs into it), pedestrians standing or walking on the sidewalks and
sometimes crossing the road, cyclists in the bike lanes (or on the sidewalk). Things that stand
still at ``t = 0`` never overlap seen from above; moving ones may meet later (they are not
labelled then).

The ego car starts at ``x = 0`` in one of the right-hand lanes and drives towards +x at a
constant speed, weaving a little within its lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .agents import AgentList, Agents
from .shapes import FOLIAGE, LABELLED, pole, tree
from .solids import Solids, block

PARKING_DEPTH = {"none": 0.0, "parallel": 2.3, "perpendicular": 5.2}
RIGHT, LEFT = 0, 1
SIGN = (-1.0, 1.0)  # y sign of each side
TRAFFIC_YAW = (0.0, np.pi)  # heading of traffic on each side


@dataclass(frozen=True)
class CrossSection:
    """Widths (metres) of one street, per side ``(right, left)`` where two values are given."""

    lanes: int
    lane_width: float
    bike_lane: tuple[float, float]
    parking: tuple[str, str]
    sidewalk: tuple[float, float]
    kerb: float

    def lane_y(self, side: int, lane: int) -> float:
        return SIGN[side] * (lane + 0.5) * self.lane_width

    def bike_y(self, side: int) -> float:
        return SIGN[side] * (self.lanes * self.lane_width + self.bike_lane[side] / 2)

    def kerb_offset(self, side: int) -> float:
        """``|y|`` of the kerb of ``side``."""
        return self.lanes * self.lane_width + self.bike_lane[side] + PARKING_DEPTH[self.parking[side]]


def random_cross_section(rng: np.random.Generator) -> CrossSection:
    parking = tuple(rng.choice(["none", "parallel", "parallel", "perpendicular"], 2).tolist())
    bike = tuple(float(rng.choice([0.0, rng.uniform(1.3, 1.9)], p=[0.45, 0.55])) for _ in range(2))
    return CrossSection(int(rng.choice([1, 1, 2])), rng.uniform(3.0, 3.6), bike, parking,
                        tuple(rng.uniform(1.6, 4.5, 2).tolist()), rng.uniform(0.1, 0.18))


@dataclass(frozen=True)
class EgoPath:
    """The ego car: ``x = speed * t``, ``y = lane_y + amplitude * sin(2 pi t / period + phase)``."""

    lane_y: float
    speed: float
    amplitude: float
    period: float
    phase: float

    def pose(self, t: float) -> np.ndarray:
        """``(3,)`` x, y, yaw of the ego car at time ``t``."""
        w = 2 * np.pi / self.period
        y = self.lane_y + self.amplitude * np.sin(w * t + self.phase)
        vy = self.amplitude * w * np.cos(w * t + self.phase)
        return np.array([self.speed * t, y, np.arctan2(vy, self.speed)])


@dataclass
class Street:
    """Scenery (static solids), agents, the road's reflectance and the ego path; ``span`` = x range."""

    section: CrossSection
    scenery: Solids
    agents: Agents
    ground_reflectance: float
    ego: EgoPath
    span: tuple[float, float]

    def solids_at(self, t: float) -> Solids:
        """Everything but the road plane at time ``t``, in the world."""
        return Solids.concat([self.scenery, self.agents.solids_at(t)])


class _Footprints:
    """Circles seen from above that things standing still must not overlap."""

    def __init__(self):
        self.circles = np.zeros((0, 3))

    def free(self, x: float, y: float, r: float) -> bool:
        d = np.hypot(self.circles[:, 0] - x, self.circles[:, 1] - y)
        return bool((d >= self.circles[:, 2] + r).all())

    def take(self, x: float, y: float, r: float) -> None:
        self.circles = np.vstack([self.circles, [x, y, r]])


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return names[rng.choice(len(names), p=p / p.sum())]


def _add(agents: AgentList, rng, name: str, x: float, y: float, z: float, yaw: float, speed: float, size=None) -> int:
    sampler, build = LABELLED[name]
    size = size if size is not None else sampler(rng)
    return agents.add(name, size, build(rng, size), x, y, z, yaw, speed)


def _scenery(rng, section: CrossSection, x0: float, x1: float, footprints: _Footprints) -> list[Solids]:
    """Sidewalks, façades (with gaps, setbacks and some hedges), poles and trees of both sides."""
    parts = []
    for side in (RIGHT, LEFT):
        s, edge, walk = SIGN[side], section.kerb_offset(side), section.sidewalk[side]
        inner, outer = sorted((s * edge, s * (edge + walk)))
        parts.append(block(x0, x1, inner, outer, 0.0, section.kerb, reflectance=rng.uniform(0.25, 0.38)))
        x = x0 - rng.uniform(0, 20)
        while x < x1:
            width = rng.uniform(8, 35)
            setback = 0.0 if rng.random() < 0.4 else rng.uniform(1.0, 6.0)
            depth, height = rng.uniform(8, 20), rng.uniform(5, 22)
            near, far = sorted((s * (edge + walk + setback), s * (edge + walk + setback + depth)))
            parts.append(block(x, x + width, near, far, 0.0, height, reflectance=rng.uniform(0.12, 0.5)))
            if setback > 1.5 and rng.random() < 0.5:  # a hedge along the back of the sidewalk
                hy = s * (edge + walk + 0.3)
                parts.append(block(x, x + width, hy - 0.25, hy + 0.25, 0.0, rng.uniform(0.8, 1.6), **FOLIAGE))
            x += width + (rng.uniform(3, 15) if rng.random() < 0.3 else 0.0)
        x = x0 + rng.uniform(0, 20)
        while x < x1:  # poles near the kerb, lamp arms over the road
            y = s * (edge + 0.35)
            parts.append(_pole_at(rng, x, y, section.kerb, -s))
            footprints.take(x, y, 0.3)
            x += rng.uniform(15, 35)
        if walk >= 2.2 and rng.random() < 0.6:
            x = x0 + rng.uniform(0, 10)
            while x < x1:
                y = s * (edge + rng.uniform(0.8, min(walk - 0.6, 1.5)))
                if footprints.free(x, y, 0.4):
                    parts.append(tree(rng).placed(x, y, section.kerb, 0.0))
                    footprints.take(x, y, 0.4)
                x += rng.uniform(7, 14)
    return parts


def _pole_at(rng, x: float, y: float, z: float, towards_road: float) -> Solids:
    """A pole at ``(x, y)`` whose arm or sign faces the road (``towards_road`` = sign of the road's y)."""
    return pole(rng, np.pi / 2 * towards_road).placed(x, y, z, 0.0)


def _parked(rng, agents: AgentList, section: CrossSection, x0: float, x1: float, keep_clear) -> None:
    """Vehicles parked along the kerb of each side with a parking strip."""
    for side in (RIGHT, LEFT):
        style = section.parking[side]
        if style == "none":
            continue
        s, edge = SIGN[side], section.kerb_offset(side)
        occupied = rng.uniform(0.4, 0.9)
        x = x0 + rng.uniform(0, 4)
        while x < x1:
            name = _pick(rng, {"Car": 0.84, "Van": 0.12, "Truck": 0.04} if style == "parallel"
                         else {"Car": 0.9, "Van": 0.1})
            l, w, h = LABELLED[name][0](rng)
            along = l if style == "parallel" else w
            gap = rng.uniform(0.6, 2.5) if style == "parallel" else rng.uniform(0.4, 1.2)
            centre = x + along / 2
            if rng.random() < occupied and not keep_clear(centre, along / 2 + 1.0):
                if style == "parallel":
                    y, yaw = s * (edge - 0.2 - w / 2 - rng.uniform(0, 0.2)), TRAFFIC_YAW[side] + rng.normal(0, 0.03)
                else:
                    y = s * (edge - 0.3 - l / 2 - rng.uniform(0, 0.3))
                    yaw = rng.choice([np.pi / 2, -np.pi / 2]) + rng.normal(0, 0.06)
                _add(agents, rng, name, centre, y, 0.0, yaw, 0.0, size=(l, w, h))
            x += along + gap


def _traffic(rng, agents: AgentList, section: CrossSection, x0: float, x1: float, ego_lane: int, ego_speed: float,
             keep_clear) -> None:
    """Moving vehicles in every lane; the ego's lane keeps a free stretch around the ego car."""
    for side in (RIGHT, LEFT):
        for lane in range(section.lanes):
            own = side == RIGHT and lane == ego_lane
            speed = ego_speed if own else rng.uniform(6, 14)
            x = x0 + rng.uniform(0, 30)
            while x < x1:
                name = _pick(rng, {"Car": 0.8, "Van": 0.12, "Truck": 0.08})
                l, w, h = LABELLED[name][0](rng)
                centre = x + l / 2
                if not (keep_clear(centre, l / 2 + 3.0) or (own and -9.0 - l / 2 < centre < 12.0 + l / 2)):
                    y = section.lane_y(side, lane) + rng.normal(0, 0.15)
                    _add(agents, rng, name, centre, y, 0.0, TRAFFIC_YAW[side] + rng.normal(0, 0.015), speed,
                         size=(l, w, h))
                x += l + rng.uniform(8, 60)


def _cyclists(rng, agents: AgentList, section: CrossSection, x0: float, x1: float, footprints, keep_clear) -> None:
    """Cyclists in the bike lanes; on a side without one, now and then one on the sidewalk."""
    for side in (RIGHT, LEFT):
        s = SIGN[side]
        if section.bike_lane[side] > 0:
            speed = rng.uniform(3.5, 7.0)
            x = x0 + rng.uniform(0, 40)
            while x < x1:
                if not keep_clear(x, 2.0):
                    _add(agents, rng, "Cyclist", x, section.bike_y(side) + rng.normal(0, 0.1), 0.0,
                         TRAFFIC_YAW[side] + rng.normal(0, 0.05), speed)
                x += rng.uniform(15, 70)
            continue
        edge, walk = section.kerb_offset(side), section.sidewalk[side]
        for _ in range(rng.poisson((x1 - x0) / 120)):
            x, y = rng.uniform(x0, x1), s * (edge + walk / 2)
            if footprints.free(x, y, 1.0):
                moving = rng.random() < 0.6
                yaw = (rng.choice(TRAFFIC_YAW) + rng.normal(0, 0.05)) if moving else rng.uniform(-np.pi, np.pi)
                _add(agents, rng, "Cyclist", x, y, section.kerb, yaw, rng.uniform(2, 4) if moving else 0.0)
                footprints.take(x, y, 1.0)


def _pedestrians(rng, agents: AgentList, section: CrossSection, x0: float, x1: float, footprints) -> None:
    """Pedestrians standing (any heading) or walking along the sidewalks."""
    for side in (RIGHT, LEFT):
        s, edge, walk = SIGN[side], section.kerb_offset(side), section.sidewalk[side]
        for _ in range(rng.poisson((x1 - x0) / rng.uniform(5, 15))):
            x, y = rng.uniform(x0, x1), s * (edge + rng.uniform(0.4, walk - 0.4))
            if not footprints.free(x, y, 0.55):
                continue
            walking = rng.random() < 0.65
            yaw = (rng.choice([0.0, np.pi]) + rng.normal(0, 0.15)) if walking else rng.uniform(-np.pi, np.pi)
            _add(agents, rng, "Pedestrian", x, y, section.kerb, yaw, rng.uniform(0.9, 1.7) if walking else 0.0)
            footprints.take(x, y, 0.55)


def _crossing(rng, agents: AgentList, section: CrossSection, x: float, footprints) -> None:
    """One to three pedestrians walking across the road near ``x``."""
    left, right = section.kerb_offset(LEFT), section.kerb_offset(RIGHT)
    for _ in range(rng.integers(1, 4)):
        px, py = x + rng.uniform(-1.5, 1.5), rng.uniform(-right + 0.8, left - 0.8)
        if footprints.free(px, py, 0.55):
            yaw = rng.choice([np.pi / 2, -np.pi / 2]) + rng.normal(0, 0.1)
            _add(agents, rng, "Pedestrian", px, py, 0.0, yaw, rng.uniform(0.9, 1.5))
            footprints.take(px, py, 0.55)


def random_street(rng: np.random.Generator, duration: float, margin: float) -> Street:
    """A street for an ego drive of ``duration`` seconds from ``x = 0``, reaching ``margin`` metres
    beyond both ends of the drive (moving agents are spread over the stretch they can drive into)."""
    section = random_cross_section(rng)
    ego_lane = int(rng.integers(section.lanes))
    ego = EgoPath(section.lane_y(RIGHT, ego_lane), rng.uniform(6, 12), rng.uniform(0, 0.25), rng.uniform(4, 10),
                  rng.uniform(0, 2 * np.pi))
    x0, x1 = -margin, ego.speed * duration + margin
    reach = 15.0 * duration  # how far the fastest agents drive
    crossing = rng.uniform(8, 40) if rng.random() < 0.4 else None

    def keep_clear(x: float, half: float) -> bool:  # the crosswalk stays free of vehicles at t = 0
        return crossing is not None and abs(x - crossing) < half + 3.0

    footprints = _Footprints()
    scenery = _scenery(rng, section, x0, x1, footprints)
    agents = AgentList()
    _parked(rng, agents, section, x0, x1, keep_clear)
    _traffic(rng, agents, section, x0 - reach, x1 + reach, ego_lane, ego.speed, keep_clear)
    _cyclists(rng, agents, section, x0 - reach / 2, x1 + reach / 2, footprints, keep_clear)
    _pedestrians(rng, agents, section, x0, x1, footprints)
    if crossing is not None:
        _crossing(rng, agents, section, crossing, footprints)
    return Street(section, Solids.concat(scenery), agents.build(), rng.uniform(0.12, 0.25), ego, (x0, x1))

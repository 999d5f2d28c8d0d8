"""The things on a street as composed solids, each in its own frame, with KITTI-like sizes.

Every labelled thing is built inside its box of full sizes ``(l, w, h)`` (length along the
object's +x, its heading; width along y; height up from the ground at ``z = 0``), so the box
holds every point the LiDAR can return from it: a car is a body on four wheels with a glass cabin
and a roof, a van a body with a tall load space, a truck a chassis, a cab and a cargo box, a
pedestrian two legs, a torso, two arms and a head, a cyclist a bike (wheels, frame, handlebar)
with a rider. Scenery (poles, trees, hedges) is built the same way.

Sizes are drawn so that the label boxes, which add a margin for the range noise
(:data:`~.labels.LABEL_MARGIN`), average the KITTI means (the PointPillars anchors: Car
3.9 x 1.6 x 1.56, Pedestrian 0.8 x 0.6 x 1.73, Cyclist 1.76 x 0.6 x 1.73).

Reflectances are plausible values for a 905 nm LiDAR: dark tyres and glass (which also lose many
returns), painted metal and clothes of any brightness, bright foliage that lets many beams through.
"""

from __future__ import annotations

import numpy as np

from .solids import Solids, block, box, cylinder

GLASS = dict(reflectance=0.06, dropout=0.4)
TYRE = dict(reflectance=0.04, dropout=0.2)
METAL = dict(reflectance=0.45)
SKIN = dict(reflectance=0.3)
BARK = dict(reflectance=0.25)
FOLIAGE = dict(reflectance=0.42, dropout=0.35)


def _clip_normal(rng, mean, std, lo, hi) -> float:
    return float(np.clip(rng.normal(mean, std), lo, hi))


def car_size(rng: np.random.Generator) -> tuple[float, float, float]:
    return (_clip_normal(rng, 3.75, 0.35, 3.1, 4.8), _clip_normal(rng, 1.48, 0.07, 1.35, 1.7),
            _clip_normal(rng, 1.47, 0.09, 1.25, 1.7))


def van_size(rng: np.random.Generator) -> tuple[float, float, float]:
    return rng.uniform(4.3, 5.4), rng.uniform(1.75, 1.95), rng.uniform(1.85, 2.4)


def truck_size(rng: np.random.Generator) -> tuple[float, float, float]:
    return rng.uniform(6.5, 11.0), rng.uniform(2.2, 2.5), rng.uniform(2.8, 3.7)


def pedestrian_size(rng: np.random.Generator) -> tuple[float, float, float]:
    return rng.uniform(0.35, 0.9), rng.uniform(0.4, 0.52), _clip_normal(rng, 1.7, 0.1, 1.4, 1.95)


def cyclist_size(rng: np.random.Generator) -> tuple[float, float, float]:
    return (_clip_normal(rng, 1.62, 0.1, 1.4, 1.85), rng.uniform(0.38, 0.5),
            _clip_normal(rng, 1.67, 0.08, 1.45, 1.9))


def _wheels(l: float, w: float, radius: float, inset: float, width: float = 0.22) -> Solids:
    """Four tyres at the corners of a vehicle of length ``l`` and width ``w``."""
    x, y = l / 2 - inset, w / 2 - width / 2 - 0.02
    return Solids.concat([box(sx * x, sy * y, radius, 2 * radius, width, 2 * radius, **TYRE)
                          for sx in (-1, 1) for sy in (-1, 1)])


def car(rng: np.random.Generator, size) -> Solids:
    """Body on four wheels, a glass cabin set back from the bonnet, and a roof."""
    l, w, h = size
    paint = dict(reflectance=rng.uniform(0.1, 0.5))
    clearance = rng.uniform(0.15, 0.25)
    belt = clearance + rng.uniform(0.5, 0.6) * (h - clearance)
    cabin_l = rng.uniform(0.45, 0.6) * l
    cabin_x = -rng.uniform(0.0, 0.12) * l
    cabin_x = float(np.clip(cabin_x, -l / 2 + cabin_l / 2, l / 2 - cabin_l / 2))
    cabin_w = rng.uniform(0.84, 0.94) * w
    return Solids.concat([
        block(-l / 2, l / 2, -w / 2, w / 2, clearance, belt, **paint),
        box(cabin_x, 0, (belt + h - 0.05) / 2, cabin_l, cabin_w, h - 0.05 - belt, **GLASS),
        box(cabin_x, 0, h - 0.025, cabin_l - 0.3, cabin_w - 0.1, 0.05, **paint),
        _wheels(l, w, rng.uniform(0.3, 0.35), rng.uniform(0.65, 0.85)),
    ])


def van(rng: np.random.Generator, size) -> Solids:
    """A low body over the whole length and a tall load space behind a sloping front."""
    l, w, h = size
    paint = dict(reflectance=rng.uniform(0.15, 0.55))
    clearance = rng.uniform(0.18, 0.28)
    nose = rng.uniform(0.5, 0.9)
    return Solids.concat([
        block(-l / 2, l / 2, -w / 2, w / 2, clearance, 0.5 * h, **paint),
        block(-l / 2, l / 2 - nose - 0.4, -w / 2, w / 2, 0.5 * h, h, **paint),
        block(l / 2 - nose - 0.4, l / 2 - nose, -w / 2 + 0.05, w / 2 - 0.05, 0.5 * h, h - 0.1, **GLASS),
        _wheels(l, w, rng.uniform(0.32, 0.38), rng.uniform(0.7, 0.95)),
    ])


def truck(rng: np.random.Generator, size) -> Solids:
    """A chassis, a cab at the front and a cargo box behind it."""
    l, w, h = size
    paint = dict(reflectance=rng.uniform(0.15, 0.55))
    cab_l = rng.uniform(1.8, 2.4)
    cab_h = h - rng.uniform(0.0, 0.5)
    return Solids.concat([
        block(-l / 2, l / 2, -w / 2 + 0.2, w / 2 - 0.2, 0.45, 1.1, reflectance=0.2),
        block(l / 2 - cab_l, l / 2, -w / 2, w / 2, 0.5, cab_h, **paint),
        block(-l / 2, l / 2 - cab_l - 0.2, -w / 2, w / 2, 1.1, h, reflectance=rng.uniform(0.2, 0.6)),
        _wheels(l, w, 0.5, 1.2, width=0.3),
    ])


def _clothes(rng: np.random.Generator) -> dict:
    return dict(reflectance=rng.uniform(0.08, 0.45))


def pedestrian(rng: np.random.Generator, size) -> Solids:
    """Legs a stride apart, a torso, swinging arms and a head, inside ``(l, w, h)``."""
    l, w, h = size
    stride = rng.uniform(0.6, 1.0) * (l - 0.15)
    torso_w = rng.uniform(0.26, min(0.4, w - 0.14))
    torso_d = rng.uniform(0.2, min(0.3, l))
    legs, top = _clothes(rng), _clothes(rng)
    hip, shoulder = 0.47 * h, 0.82 * h
    swing = 0.4 * stride
    arm_y = torso_w / 2 + 0.035
    return Solids.concat([
        box(stride / 2, 0.09, hip / 2, 0.13, 0.12, hip, **legs),
        box(-stride / 2, -0.09, hip / 2, 0.13, 0.12, hip, **legs),
        box(0, 0, (hip + shoulder) / 2, torso_d, torso_w, shoulder - hip, **top),
        box(-swing / 2, arm_y, (0.5 * h + shoulder) / 2, 0.09, 0.07, shoulder - 0.5 * h, **top),
        box(swing / 2, -arm_y, (0.5 * h + shoulder) / 2, 0.09, 0.07, shoulder - 0.5 * h, **top),
        cylinder(0, 0, shoulder, h, rng.uniform(0.09, 0.11), **SKIN),
    ])


def cyclist(rng: np.random.Generator, size) -> Solids:
    """A bike (two wheels, a frame, a handlebar as wide as the box) and a rider leaning forward."""
    l, w, h = size
    scale = h / 1.73
    wheel = rng.uniform(0.6, 0.7)
    axle = l / 2 - wheel / 2
    bike = dict(reflectance=rng.uniform(0.25, 0.5))
    seat_x, seat_z = -axle + 0.3, 0.9 * scale
    bar_x, bar_z = axle - 0.08, 1.0 * scale
    shoulder_z = h - 0.3
    torso_x = seat_x + 0.18
    clothes = _clothes(rng)
    return Solids.concat([
        box(-axle, 0, wheel / 2, wheel, 0.05, wheel, **TYRE),
        box(axle, 0, wheel / 2, wheel, 0.05, wheel, **TYRE),
        block(-axle, axle, -0.03, 0.03, wheel / 2, wheel / 2 + 0.25, **bike),
        block(bar_x - 0.03, bar_x + 0.03, -w / 2, w / 2, bar_z - 0.03, bar_z + 0.03, **bike),
        block(seat_x - 0.06, seat_x + 0.3, -0.16, -0.04, wheel / 2, seat_z, **clothes),
        block(seat_x - 0.06, seat_x + 0.3, 0.04, 0.16, wheel / 2, seat_z, **clothes),
        box(torso_x, 0, (seat_z + shoulder_z) / 2, 0.26, min(0.4, w - 0.1), shoulder_z - seat_z, **clothes),
        block(torso_x, bar_x, -w / 2, 0.06 - w / 2, shoulder_z - 0.12, shoulder_z - 0.04, **clothes),
        block(torso_x, bar_x, w / 2 - 0.06, w / 2, shoulder_z - 0.12, shoulder_z - 0.04, **clothes),
        cylinder(torso_x + 0.1, 0, shoulder_z, h, 0.1, **SKIN),
    ])


#: KITTI class -> (size sampler, shape builder)
LABELLED = {
    "Car": (car_size, car),
    "Van": (van_size, van),
    "Truck": (truck_size, truck),
    "Pedestrian": (pedestrian_size, pedestrian),
    "Cyclist": (cyclist_size, cyclist),
}


def pole(rng: np.random.Generator, arm_heading: float) -> Solids:
    """A street-light or sign pole; a lamp arm points along ``arm_heading`` (towards the road)."""
    height = rng.uniform(3.0, 8.0)
    radius = rng.uniform(0.05, 0.12)
    parts = [cylinder(0, 0, 0, height, radius, **METAL)]
    kind = rng.integers(3)
    if kind == 0:  # lamp arm
        reach = rng.uniform(0.8, 2.0)
        parts.append(box(np.cos(arm_heading) * reach / 2, np.sin(arm_heading) * reach / 2, height - 0.1,
                         reach, 0.12, 0.12, arm_heading, **METAL))
    elif kind == 1:  # sign plate
        parts.append(box(0, 0, min(height, 2.6) - 0.35, 0.05, 0.65, 0.65, arm_heading, reflectance=0.85))
    return Solids.concat(parts)


def tree(rng: np.random.Generator) -> Solids:
    """A trunk and a crown of three stacked cylinders (foliage lets many beams through)."""
    trunk_h = rng.uniform(1.8, 3.2)
    crown_r = rng.uniform(1.2, 3.0)
    crown_h = rng.uniform(2.0, 4.5)
    layers = [(0.0, 0.3, 0.7), (0.3, 0.75, 1.0), (0.75, 1.0, 0.6)]
    return Solids.concat([cylinder(0, 0, 0, trunk_h + 0.3, rng.uniform(0.12, 0.28), **BARK)] + [
        cylinder(0, 0, trunk_h + a * crown_h, trunk_h + b * crown_h, crown_r * f, **FOLIAGE) for a, b, f in layers])

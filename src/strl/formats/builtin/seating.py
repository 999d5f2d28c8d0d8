"""Things to sit on: chair, armchair, stool, sofa. Deliberately look-alike classes.

Each function takes a ``numpy.random.Generator`` and returns a list of parts in metres,
y-up, standing on ``y = 0``, facing ``+z`` (the back rest is at ``-z``).
"""

from __future__ import annotations

import numpy as np

from .primitives import Ellipsoid, TorusArc, box, cylinder, moved, rod, rot_x


def legs(rng, corners, top: float, thick: float, splay: float = 0.0, round_: bool | None = None):
    """Legs from ``y = top`` down to the floor under ``corners`` (k, 2) xz, leaning out by ``splay``."""
    round_ = rng.random() < 0.5 if round_ is None else round_
    parts = []
    for x, z in np.asarray(corners, dtype=np.float64):
        out = np.array([x, z]) / max(np.hypot(x, z), 1e-9) * splay
        foot = (x + out[0], 0.0, z + out[1])
        if round_ or splay > 0:
            parts.append(rod(foot, (x, top, z), thick / 2))
        else:
            parts.append(box((x, top / 2, z), (thick, top, thick)))
    return parts


def four_corners(width: float, depth: float, inset: float):
    hx, hz = width / 2 - inset, depth / 2 - inset
    return [(-hx, -hz), (hx, -hz), (hx, hz), (-hx, hz)]


def pedestal_base(rng, top: float, spokes: int | None = None):
    """An office-chair column on a star of spokes with small castor balls."""
    spokes = int(rng.integers(4, 6)) if spokes is None else spokes
    reach, lift = rng.uniform(0.22, 0.33), rng.uniform(0.04, 0.08)
    parts = [rod((0, lift, 0), (0, top, 0), rng.uniform(0.02, 0.04))]
    a0 = rng.uniform(0, 2 * np.pi)
    for k in range(spokes):
        a = a0 + 2 * np.pi * k / spokes
        tip = (reach * np.cos(a), lift * 0.6, reach * np.sin(a))
        parts.append(rod((0, lift, 0), tip, 0.015))
        parts.append(Ellipsoid((tip[0], 0.025, tip[2]), (0.025,) * 3))
    return parts


def back_rest(rng, width: float, z: float, seat_top: float, height: float, style: str):
    """A back rest standing on the seat's rear edge ``z``, tilted back by a random angle."""
    tilt = rng.uniform(0, np.deg2rad(18))
    t = rng.uniform(0.02, 0.06)
    parts = []
    if style == "panel":
        parts.append(box((0, height / 2, 0), (width, height, t)))
    else:
        post = rng.uniform(0.02, 0.045)
        for x in (-width / 2 + post / 2, width / 2 - post / 2):
            parts.append(box((x, height / 2, 0), (post, height, post)))
        rail = rng.uniform(0.04, 0.12)
        parts.append(box((0, height - rail / 2, 0), (width, rail, t)))
        if style == "slats":
            n = int(rng.integers(2, 7))
            for x in np.linspace(-width / 2, width / 2, n + 2)[1:-1]:
                parts.append(box((x, (height - rail) / 2, 0), (rng.uniform(0.015, 0.05), height - rail, t * 0.7)))
        else:  # ladder: horizontal rails
            for y in np.linspace(0.1, height - rail, int(rng.integers(2, 5)) + 1)[:-1]:
                parts.append(box((0, y, 0), (width, rail * 0.6, t * 0.7)))
    return [tilted(p, tilt, np.array([0.0, seat_top, z])) for p in parts]


def tilted(part, angle: float, pivot):
    """Lean ``part`` (built around y=0, z=0) back about x by ``angle`` and move it to ``pivot``."""
    return moved(part, rot_x(-angle), pivot)


def chair(rng):
    w, d = rng.uniform(0.38, 0.58), rng.uniform(0.36, 0.55)
    bar = rng.random() < 0.15  # a bar chair: a tall seat with a short back
    h, t = rng.uniform(0.6, 0.8) if bar else rng.uniform(0.38, 0.52), rng.uniform(0.02, 0.07)
    parts = []
    if rng.random() < 0.2:
        parts.append(cylinder((0, h - t, 0), max(w, d) / 2, t))
    else:
        parts.append(box((0, h - t / 2, 0), (w, t, d)))
    style = rng.choice(["four", "four", "splayed", "pedestal", "sled", "panel"])
    lt = rng.uniform(0.02, 0.05)
    if style in ("four", "splayed"):
        corners = four_corners(w, d, rng.uniform(0.0, 0.05) + lt / 2)
        parts += legs(rng, corners, h - t, lt, splay=0.0 if style == "four" else rng.uniform(0.03, 0.1))
        if style == "four" and (bar or rng.random() < 0.4):
            y = rng.uniform(0.2, 0.3) if bar else rng.uniform(0.08, 0.2)
            for a, b in zip(corners, corners[1:] + corners[:1]):
                parts.append(rod((a[0], y, a[1]), (b[0], y, b[1]), lt / 3))
    elif style == "pedestal":
        parts += pedestal_base(rng, h - t)
    elif style == "sled":
        for x in (-w / 2 + lt, w / 2 - lt):
            fz, bz = d / 2 - 0.03, -d / 2 + 0.03
            parts += [rod((x, 0, fz), (x, h - t, fz), lt / 2), rod((x, 0, bz), (x, h - t, bz), lt / 2),
                      rod((x, 0.01, fz + 0.03), (x, 0.01, bz - 0.03), lt / 2)]
    else:
        for x in (-w / 2 + lt / 2, w / 2 - lt / 2):
            parts.append(box((x, (h - t) / 2, 0), (lt, h - t, d * rng.uniform(0.8, 1.0))))
    bstyle = rng.choice(["panel", "slats", "ladder"])
    back_h = rng.uniform(0.2, 0.4) if bar else rng.uniform(0.3, 0.6)
    parts += back_rest(rng, w * rng.uniform(0.85, 1.0), -d / 2 + 0.02, h, back_h, bstyle)
    return parts


def armchair(rng):
    w, d = rng.uniform(0.6, 0.95), rng.uniform(0.6, 0.9)
    h, cushion = rng.uniform(0.34, 0.46), rng.uniform(0.08, 0.2)
    arm_t, arm_h = rng.uniform(0.06, 0.18), h + rng.uniform(0.15, 0.3)
    base_top = h - cushion
    parts = []
    if rng.random() < 0.5:  # upholstered block base on short feet
        feet = rng.uniform(0.0, 0.12)
        parts.append(box((0, feet + (base_top - feet) / 2, 0), (w, base_top - feet, d)))
        if feet > 0.02:
            parts += legs(rng, four_corners(w, d, 0.05), feet, 0.04)
    else:
        parts.append(box((0, base_top - 0.03, 0), (w, 0.06, d)))
        parts += legs(rng, four_corners(w, d, 0.04), base_top - 0.06, rng.uniform(0.03, 0.06),
                      splay=rng.choice([0.0, rng.uniform(0.02, 0.06)]))
    inner = w - 2 * arm_t
    parts.append(box((0, base_top + cushion / 2, 0.02), (inner, cushion, d - 0.04)))
    back_t, back_h = rng.uniform(0.1, 0.22), rng.uniform(0.35, 0.7)
    tilt = rng.uniform(0, np.deg2rad(15))
    back = box((0, back_h / 2, 0), (w, back_h, back_t))
    parts.append(tilted(back, tilt, np.array([0, base_top, -d / 2 + back_t / 2])))
    if rng.random() < 0.5:  # solid arm blocks
        arm_d = d * rng.uniform(0.75, 1.0)
        for x in (-w / 2 + arm_t / 2, w / 2 - arm_t / 2):
            low = base_top * 0.5
            parts.append(box((x, (arm_h + low) / 2, d / 2 - arm_d / 2), (arm_t, arm_h - low, arm_d)))
            if rng.random() < 0.4:
                parts.append(cylinder((x, arm_h - 0.01, d / 2 - arm_d), arm_t * 0.55, arm_d, axis=(0, 0, 1)))
    else:  # open arms: a rest on two posts
        for x in (-w / 2 + 0.03, w / 2 - 0.03):
            parts.append(box((x, arm_h, 0), (rng.uniform(0.04, 0.1), 0.03, d * 0.9)))
            for z in (d / 2 - 0.06, -d / 2 + 0.15):
                parts.append(rod((x, base_top, z), (x, arm_h, z), 0.015))
    return parts


def ottoman(rng):
    """A padded footstool: a block or drum on short feet."""
    w, h = rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.45)
    feet = rng.choice([0.0, rng.uniform(0.03, 0.1)])
    if rng.random() < 0.6:
        d = w * rng.uniform(0.6, 1.0)
        parts = [box((0, (h + feet) / 2, 0), (w, h - feet, d)), box((0, h + 0.02, 0), (w * 0.95, 0.04, d * 0.95))]
        corners = four_corners(w, d, 0.04)
    else:
        parts = [cylinder((0, feet, 0), w / 2, h - feet), Ellipsoid((0, h, 0), (w / 2, 0.04, w / 2), half=True)]
        corners = [(w / 3 * np.cos(a), w / 3 * np.sin(a)) for a in np.arange(4) * np.pi / 2 + np.pi / 4]
    if feet > 0:
        parts += legs(rng, corners, feet, 0.04)
    return parts


def stool(rng):
    if rng.random() < 0.2:
        return ottoman(rng)
    h = rng.uniform(0.42, 0.8)
    t = rng.uniform(0.03, 0.08)
    round_seat = rng.random() < 0.65
    r = rng.uniform(0.15, 0.23)
    if round_seat:
        parts = [cylinder((0, h - t, 0), r, t)]
    else:
        parts = [box((0, h - t / 2, 0), (2 * r, t, 2 * r * rng.uniform(0.8, 1.2)))]
    if rng.random() < 0.25:  # padded top
        parts.append(Ellipsoid((0, h, 0), (r * 0.95, rng.uniform(0.02, 0.05), r * 0.95), half=True))
    style = rng.choice(["three", "four", "four", "pedestal"])
    lt = rng.uniform(0.02, 0.045)
    if style == "pedestal":
        if rng.random() < 0.5:
            parts += pedestal_base(rng, h - t)
        else:
            parts += [rod((0, 0.02, 0), (0, h - t, 0), rng.uniform(0.025, 0.045)),
                      cylinder((0, 0, 0), rng.uniform(0.15, 0.24), 0.02)]
        if h > 0.6 and rng.random() < 0.6:
            parts.append(TorusArc((0, h * 0.35, 0), rng.uniform(0.14, 0.2), 0.01, rotation=rot_x(np.pi / 2)))
        return parts
    k = 3 if style == "three" else 4
    a0 = rng.uniform(0, 2 * np.pi)
    ring = r * rng.uniform(0.6, 0.85)
    corners = [(ring * np.cos(a0 + 2 * np.pi * i / k), ring * np.sin(a0 + 2 * np.pi * i / k)) for i in range(k)]
    splay = rng.uniform(0.0, 0.12)
    parts += legs(rng, corners, h - t, lt, splay=splay)
    if rng.random() < 0.6:  # footrest ring or rungs
        y = h * rng.uniform(0.25, 0.45)
        f = 1 + splay / ring * (1 - y / (h - t))
        if rng.random() < 0.5:
            parts.append(TorusArc((0, y, 0), ring * f, 0.01, rotation=rot_x(np.pi / 2)))
        else:
            pts = [(x * f, y, z * f) for x, z in corners]
            parts += [rod(a, b, 0.01) for a, b in zip(pts, pts[1:] + pts[:1])]
    return parts


def sofa(rng):
    seats = int(rng.integers(2, 5))
    seat_w = rng.uniform(0.5, 0.7)
    arm_t = rng.uniform(0.08, 0.25)
    w = seats * seat_w + 2 * arm_t
    d, h = rng.uniform(0.75, 1.0), rng.uniform(0.36, 0.46)
    cushion = rng.uniform(0.08, 0.18)
    feet = rng.choice([0.0, rng.uniform(0.04, 0.15)])
    base_top = h - cushion
    parts = [box((0, feet + (base_top - feet) / 2, 0), (w, base_top - feet, d))]
    if feet > 0:
        n = 4 if seats < 4 else 6
        xs = np.linspace(-w / 2 + 0.06, w / 2 - 0.06, n // 2)
        corners = [(x, z) for x in xs for z in (-d / 2 + 0.06, d / 2 - 0.06)]
        parts += legs(rng, corners, feet, rng.uniform(0.03, 0.06))
    back_t = rng.uniform(0.12, 0.25)
    inner = w - 2 * arm_t
    gap = rng.uniform(0.0, 0.02)
    for i in range(seats):
        x = -inner / 2 + (i + 0.5) * inner / seats
        parts.append(box((x, base_top + cushion / 2, back_t / 2), (inner / seats - gap, cushion, d - back_t)))
    back_h = rng.uniform(0.3, 0.55)
    tilt = rng.uniform(0, np.deg2rad(12))
    back = box((0, back_h / 2, 0), (w, back_h, back_t))
    parts.append(tilted(back, tilt, np.array([0, base_top, -d / 2 + back_t / 2])))
    if rng.random() < 0.5:  # back cushions
        for i in range(seats):
            x = -inner / 2 + (i + 0.5) * inner / seats
            center = (x, h + back_h * 0.35, -d / 2 + back_t + 0.06)
            parts.append(box(center, (inner / seats - 0.02, back_h * 0.6, 0.12)))
    arms = rng.choice([2, 2, 2, 1, 0])
    arm_h = h + rng.uniform(0.1, 0.3)
    for x in [-w / 2 + arm_t / 2, w / 2 - arm_t / 2][: int(arms)]:
        parts.append(box((x, (arm_h + feet) / 2, 0), (arm_t, arm_h - feet, d)))
    if rng.random() < 0.25:  # chaise end
        ext = rng.uniform(0.5, 0.8)
        cw = seat_w * rng.uniform(0.9, 1.2)
        side = rng.choice([-1, 1])
        x = side * (inner / 2 - cw / 2)
        parts.append(box((x, (h + feet) / 2, d / 2 + ext / 2), (cw, h - feet, ext)))
    return parts

"""Lamp and airplane (y-up; the airplane's nose points to ``+z``)."""

from __future__ import annotations

import numpy as np

from .primitives import Ellipsoid, Lathe, box, cylinder, frame_from_axis, rod, slab


def lamp_shade(rng, apex, axis, size: float):
    """A shade hanging from ``apex`` and opening along ``axis`` (unit vector)."""
    style = rng.choice(["drum", "cone", "dome", "globe"])
    axis = np.asarray(axis, dtype=np.float64)
    apex = np.asarray(apex, dtype=np.float64)
    if style == "globe":
        return [Ellipsoid(apex + axis * size * 0.6, (size * 0.6,) * 3)]
    if style == "dome":
        # a half ellipsoid whose rim points along ``axis``: flip the local y axis onto ``-axis``
        return [Ellipsoid(apex + axis * size * 0.5, (size * 0.7, size * 0.5, size * 0.7),
                          rotation=frame_from_axis(-axis), half=True)]
    depth = size * rng.uniform(0.6, 1.2)
    r_near = size * (rng.uniform(0.5, 0.9) if style == "drum" else rng.uniform(0.1, 0.3))
    r_far = size * (rng.uniform(0.8, 1.1) if style == "drum" else rng.uniform(0.8, 1.3))
    return [Lathe([r_near * 0.3, r_near, r_far], [0.0, 0.0, depth], apex, frame_from_axis(axis), two_sided=True)]


def lamp(rng):
    kind = rng.choice(["desk", "floor", "arm", "table"])
    parts = []
    if kind == "table":  # a bulbous, vase-like body under a drum or cone shade
        hb = rng.uniform(0.2, 0.4)
        y = np.linspace(0, 1, 12)
        belly = rng.uniform(0.25, 0.45)
        r = hb * (rng.uniform(0.12, 0.2) + belly * np.sin(np.pi * y) ** rng.uniform(0.7, 1.5))
        parts.append(Lathe(np.concatenate([[0.0], r, [0.0]]), np.concatenate([[0.0], y * hb, [hb]])))
        h = hb + rng.uniform(0.05, 0.15)
        parts.append(rod((0, hb, 0), (0, h, 0), 0.01))
        size = rng.uniform(0.12, 0.25)
        parts += lamp_shade(rng, (0, h - size * 0.5, 0), (0, 1.0, 0), size)
        return parts
    if kind == "floor" and rng.random() < 0.35:  # tripod
        h_base = 0.0
        foot = rng.uniform(0.2, 0.35)
        joint = rng.uniform(0.3, 0.6)
        a0 = rng.uniform(0, 2 * np.pi)
        for k in range(3):
            a = a0 + 2 * np.pi * k / 3
            parts.append(rod((foot * np.cos(a), 0, foot * np.sin(a)), (0, joint, 0), 0.012))
    elif rng.random() < 0.75:
        h_base = rng.uniform(0.015, 0.05)
        rb = rng.uniform(0.06, 0.16) * (1.5 if kind == "floor" else 1.0)
        parts.append(cylinder((0, 0, 0), rb, h_base, top_radius=rb * rng.uniform(0.6, 1.0)))
    else:
        h_base = rng.uniform(0.02, 0.05)
        s = rng.uniform(0.1, 0.25)
        parts.append(box((0, h_base / 2, 0), (s, h_base, s * rng.uniform(0.7, 1.0))))
    if kind == "arm":
        a = rng.uniform(0.25, 0.45)
        elbow = np.array([rng.uniform(-0.1, 0.05), h_base + a, 0.0])
        lean = rng.uniform(0.2, 0.6)
        b = rng.uniform(0.25, 0.45)
        head = elbow + np.array([b * np.cos(lean), b * np.sin(lean), 0.0])
        parts += [rod((0, h_base, 0), elbow, 0.01), rod(elbow, head, 0.01), Ellipsoid(elbow, (0.018,) * 3)]
        angle = rng.uniform(0.3, 1.2)  # shade looks down and forward
        axis = np.array([np.sin(angle), -np.cos(angle), 0.0])
        parts += lamp_shade(rng, head, axis, rng.uniform(0.06, 0.12))
        return parts
    h = rng.uniform(0.25, 0.55) if kind == "desk" else rng.uniform(1.2, 1.7)
    parts.append(rod((0, h_base, 0), (0, h, 0), rng.uniform(0.008, 0.02) * (1.5 if kind == "floor" else 1.0)))
    size = rng.uniform(0.1, 0.2) if kind == "desk" else rng.uniform(0.15, 0.3)
    if rng.random() < 0.5:  # shade hanging over the stem top
        parts += lamp_shade(rng, (0, h + size * 0.3, 0), (0, -1.0, 0), size)
    else:  # shade opening upwards (uplighter)
        parts += lamp_shade(rng, (0, h, 0), (0, 1.0, 0), size)
    return parts


def airplane(rng):
    L = 1.0
    R = L * rng.uniform(0.035, 0.07)
    nose, tail = L * rng.uniform(0.08, 0.18), L * rng.uniform(0.2, 0.35)
    t = np.linspace(0, 1, 6)
    prof_r = np.concatenate([R * np.sqrt(t), [R], R * (1 - 0.75 * t[1:])])
    prof_y = np.concatenate([nose * t, [L - tail], L - tail + tail * t[1:]])
    # local y runs nose → tail, so point it along -z with the nose at +L/2
    body = Lathe(prof_r[::-1].copy(), (L - prof_y[::-1]).copy(), (0, 0, -L / 2), frame_from_axis((0, 0, 1)))
    parts = [body]
    span = L * rng.uniform(0.7, 1.2)
    delta = rng.random() < 0.15
    root = L * (rng.uniform(0.35, 0.55) if delta else rng.uniform(0.12, 0.25))
    taper = rng.uniform(0.02, 0.1) if delta else rng.uniform(0.3, 0.8)
    sweep = np.tan(rng.uniform(np.deg2rad(45), np.deg2rad(60)) if delta else rng.uniform(0, np.deg2rad(40)))
    dihedral = np.tan(rng.uniform(np.deg2rad(-3), np.deg2rad(8)))
    wing_z = L * rng.uniform(-0.05, 0.12)
    wing_y = R * rng.uniform(-0.6, 0.6)
    thick = root * rng.uniform(0.06, 0.12)
    for s in (-1.0, 1.0):
        x1 = s * span / 2
        le_root = np.array([0.0, wing_y, wing_z + root / 2])
        le_tip = np.array([x1, wing_y + span / 2 * dihedral, wing_z + root / 2 - span / 2 * sweep])
        parts.append(slab([le_root, le_tip, le_tip - (0, 0, root * taper), le_root - (0, 0, root)], thick))
    engines = 0 if delta else int(rng.choice([0, 2, 2, 4]))
    for k in range(engines):
        s = -1.0 if k % 2 == 0 else 1.0
        frac = 0.3 if k < 2 else 0.6
        x = s * span / 2 * frac
        z = wing_z + root / 2 - span / 2 * frac * sweep
        er = R * rng.uniform(0.35, 0.55)
        el = root * rng.uniform(0.5, 0.9)
        parts.append(cylinder((x, wing_y - er * 1.4, z - el * 0.7), er, el, axis=(0, 0, 1), caps=(False, False),
                              two_sided=True))
    fin_h = L * rng.uniform(0.1, 0.2)
    fin_c = tail * rng.uniform(0.6, 1.0)
    z_tail = -L / 2 + 0.02
    fin = [(0, R * 0.5, z_tail + fin_c), (0, R * 0.5 + fin_h, z_tail + fin_c * 0.35),
           (0, R * 0.5 + fin_h, z_tail), (0, R * 0.5, z_tail)]
    parts.append(slab(fin, fin_c * 0.08, up=(1.0, 0, 0)))
    if not delta:
        t_tail = rng.random() < 0.2
        y = R * 0.5 + fin_h if t_tail else R * 0.2
        hs = L * rng.uniform(0.12, 0.22)
        hc = fin_c * rng.uniform(0.5, 0.8)
        for s in (-1.0, 1.0):
            parts.append(slab([(0, y, z_tail + hc), (s * hs, y, z_tail + hc * 0.4), (s * hs, y, z_tail),
                               (0, y, z_tail)], hc * 0.08))
    return parts

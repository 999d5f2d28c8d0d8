"""Mug, cup, vase and bottle: surfaces of revolution with look-alike profiles (metres, y-up)."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from .primitives import Lathe, TorusArc, box, cylinder, moved, rod, rot_y


def open_vessel(outer_r, outer_y, wall: float, inner_depth: float | None = None, base=(0.0, 0.0, 0.0)) -> Lathe:
    """A vessel open at the top: the outer profile (bottom to rim), a closed bottom, and the inner
    wall ``wall`` inside it down to ``inner_depth`` below the rim (the full depth by default)."""
    r, y = np.asarray(outer_r, dtype=np.float64), np.asarray(outer_y, dtype=np.float64)
    top = y[-1]
    full = inner_depth is None or inner_depth >= top - y[0] - wall
    depth = top - y[0] - wall if full else inner_depth
    inner_y = np.linspace(top, top - depth, max(4, len(y)))
    inner_r = np.maximum(np.interp(inner_y, y, r) - wall, 0.0)
    prof_r = np.concatenate([[0.0], r, inner_r] + ([[0.0]] if full else []))
    prof_y = np.concatenate([[y[0]], y, inner_y] + ([[inner_y[-1]]] if full else []))
    return Lathe(prof_r, prof_y, base)


def handle(rng, wall_x: float, y_mid: float, span: float, thick: float, square: bool = False):
    """A handle on the ``+x`` side whose ends meet the wall at ``y_mid ± span / 2``."""
    if square:
        reach = span * rng.uniform(0.4, 0.8)
        a, b = (wall_x, y_mid + span / 2, 0), (wall_x, y_mid - span / 2, 0)
        c, d = (wall_x + reach, y_mid + span / 2, 0), (wall_x + reach, y_mid - span / 2, 0)
        return [rod(a, c, thick), rod(c, d, thick), rod(d, b, thick)]
    bulge = rng.uniform(0.7, 1.2)
    arc = TorusArc((wall_x, y_mid, 0), span / 2, thick, -np.pi / 2, np.pi / 2)
    arc.rotation = np.diag([bulge, 1.0, 1.0])  # squash or stretch the arc outwards
    return [arc]


def mug(rng):
    r = rng.uniform(0.035, 0.05)
    h = r * rng.uniform(1.6, 3.0)
    rt = r * rng.uniform(0.92, 1.08)
    wall = rng.uniform(0.003, 0.008)
    ys = np.linspace(0, h, 6)
    rs = np.linspace(r, rt, 6)
    if rng.random() < 0.3:  # slightly barrel-shaped
        rs = rs * (1 + rng.uniform(0.03, 0.1) * np.sin(np.pi * ys / h))
    parts = [open_vessel(rs, ys, wall)]
    span = h * rng.uniform(0.45, 0.75)
    y_mid = h * rng.uniform(0.45, 0.6)
    parts += handle(rng, (r + rt) / 2 - wall, y_mid, span, rng.uniform(0.004, 0.008), square=rng.random() < 0.25)
    return parts


def cup(rng):
    rb = rng.uniform(0.025, 0.04)
    rt = rb * rng.uniform(1.25, 1.8)
    h = rt * rng.uniform(1.0, 2.2)
    wall = rng.uniform(0.002, 0.005)
    lift = 0.0
    parts = []
    style = rng.choice(["plain", "saucer", "stemmed"], p=[0.45, 0.35, 0.2])
    if style == "saucer":
        rs = rt * rng.uniform(1.6, 2.2)
        parts.append(Lathe([0, rs * 0.45, rs, rs * 0.97], [0, 0, 0.015, 0.02], two_sided=True))
        lift = 0.006
    elif style == "stemmed":
        stem = h * rng.uniform(0.3, 0.9)
        parts += [cylinder((0, 0, 0), rb * rng.uniform(1.2, 1.8), 0.006, top_radius=rb * 0.3),
                  rod((0, 0.006, 0), (0, stem, 0), rb * rng.uniform(0.12, 0.25))]
        lift = stem
    ys = np.linspace(0, h, 8)
    curve = rng.uniform(0.5, 1.0)  # <1: bowl-like flank
    rs = rb + (rt - rb) * (ys / h) ** curve
    parts.append(open_vessel(rs, ys + lift, wall))
    if style != "stemmed" and rng.random() < 0.45:
        span = h * rng.uniform(0.35, 0.6)
        y_mid = lift + h * rng.uniform(0.45, 0.6)
        parts += handle(rng, rb + (rt - rb) * 0.55 - wall, y_mid, span, rng.uniform(0.003, 0.006))
    return parts


def vase(rng):
    h = rng.uniform(0.2, 0.5)
    style = rng.choice(["bulb", "amphora", "trumpet", "column", "bud"])
    if style == "bud":  # slender, with a narrow neck and a flared lip
        knots = [0, rng.uniform(0.15, 0.35), rng.uniform(0.6, 0.8), 1.0]
        radii = [rng.uniform(0.06, 0.1), rng.uniform(0.09, 0.16), rng.uniform(0.025, 0.045), rng.uniform(0.05, 0.09)]
    elif style == "bulb":
        knots = [0, rng.uniform(0.2, 0.45), rng.uniform(0.7, 0.88), 1.0]
        radii = [rng.uniform(0.1, 0.2), rng.uniform(0.25, 0.42), rng.uniform(0.06, 0.12), rng.uniform(0.08, 0.18)]
    elif style == "amphora":
        knots = [0, 0.1, rng.uniform(0.4, 0.6), rng.uniform(0.8, 0.9), 1.0]
        radii = [rng.uniform(0.08, 0.13), rng.uniform(0.1, 0.15), rng.uniform(0.25, 0.35), rng.uniform(0.1, 0.16),
                 rng.uniform(0.14, 0.22)]
    elif style == "trumpet":
        knots = [0, 0.05, rng.uniform(0.3, 0.6), 1.0]
        radii = [rng.uniform(0.1, 0.16), rng.uniform(0.06, 0.1), rng.uniform(0.07, 0.12), rng.uniform(0.18, 0.32)]
    else:
        knots = [0, 0.5, 1.0]
        r = rng.uniform(0.1, 0.2)
        radii = [r, r * rng.uniform(0.9, 1.2), r * rng.uniform(0.8, 1.3)]
    ys = np.linspace(0, 1, 24)
    rs = PchipInterpolator(knots, radii)(ys) * h
    parts = [open_vessel(rs, ys * h, rng.uniform(0.004, 0.01), inner_depth=h * rng.uniform(0.15, 0.35))]
    if style == "amphora" and rng.random() < 0.6:
        for side in (0.0, np.pi):
            y_hi, y_lo = h * 0.85, h * 0.55
            wall = float(np.interp((y_hi + y_lo) / 2 / h, ys, rs))
            arc = handle(rng, wall * 0.8, (y_hi + y_lo) / 2, y_hi - y_lo, 0.006)[0]
            parts.append(moved(arc, rot_y(side), (0.0, 0.0, 0.0)))
    return parts


def bottle(rng):
    r = rng.uniform(0.03, 0.05)
    hb = r * rng.uniform(2.5, 5.0)
    hs = r * rng.uniform(0.3, 1.5)
    rn = r * rng.uniform(0.25, 0.45)
    hn = r * rng.uniform(0.5, 2.5)
    parts = []
    shape = rng.choice(["round", "square", "flask"], p=[0.65, 0.15, 0.2])
    if shape == "flask":  # a round body under a long neck
        body = r * rng.uniform(1.1, 1.6)
        phi = np.linspace(0.15, 0.85, 12) * np.pi
        body_y = body * (np.cos(phi[0]) - np.cos(phi))
        top = body_y[-1] + hn
        parts.append(Lathe(np.concatenate([[0.0], body * np.sin(phi), [rn, rn]]),
                           np.concatenate([[0.0], body_y, [body_y[-1], top]])))
    elif shape == "square":
        side = 2 * r * rng.uniform(0.8, 1.0)
        parts += [box((0, hb / 2, 0), (side, hb, side * rng.uniform(0.6, 1.0))),
                  cylinder((0, hb, 0), r * 0.9, hs, caps=(False, False), top_radius=rn),
                  cylinder((0, hb + hs, 0), rn, hn, caps=(False, False))]
        top = hb + hs + hn
    else:
        n = 10
        t = np.linspace(0, 1, n)
        if rng.random() < 0.5:  # round shoulder
            shoulder_r = rn + (r - rn) * np.sqrt(np.clip(1 - t**2, 0, 1))
        else:
            shoulder_r = r + (rn - r) * t
        body_y = np.linspace(0, hb, n)
        body_r = np.full(n, r)
        if rng.random() < 0.3:  # waisted body
            body_r = r * (1 - rng.uniform(0.05, 0.15) * np.sin(np.pi * body_y / hb))
        prof_r = np.concatenate([[0.0], body_r, shoulder_r[1:], [rn]])
        prof_y = np.concatenate([[0.0], body_y, hb + hs * t[1:], [hb + hs + hn]])
        parts.append(Lathe(prof_r, prof_y))
        top = hb + hs + hn
    if rng.random() < 0.8:  # cap
        ch = rng.uniform(0.01, 0.03)
        parts.append(cylinder((0, top - ch * 0.5, 0), rn * rng.uniform(1.1, 1.4), ch))
    else:
        parts.append(cylinder((0, top, 0), rn, 0.003, caps=(False, True)))
    return parts

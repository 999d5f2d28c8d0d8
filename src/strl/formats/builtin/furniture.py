"""Table, desk, bookshelf and bed (metres, y-up, on the floor, front at ``+z``)."""

from __future__ import annotations

import numpy as np

from .primitives import Ellipsoid, box, cylinder, rod, rot_y
from .seating import four_corners, legs


def table(rng):
    h = rng.uniform(0.35, 0.5) if rng.random() < 0.25 else rng.uniform(0.66, 0.78)  # coffee or dining
    t = rng.uniform(0.02, 0.07)
    round_top = rng.random() < 0.3
    if round_top:
        w = d = 2 * rng.uniform(0.4, 0.7)
        parts = [cylinder((0, h - t, 0), w / 2, t)]
    else:
        w = rng.uniform(0.8, 2.0)
        d = w * rng.uniform(0.45, 1.0)
        parts = [box((0, h - t / 2, 0), (w, t, d))]
    styles = ["pedestal", "four", "trestle"] if round_top else ["four", "four", "trestle", "pedestal"]
    style = rng.choice(styles)
    lt = rng.uniform(0.03, 0.08)
    top = h - t
    if style == "four":
        inset = rng.uniform(0.02, 0.15) + lt / 2
        corners = four_corners(w / np.sqrt(2), d / np.sqrt(2), inset) if round_top else four_corners(w, d, inset)
        parts += legs(rng, corners, top, lt, splay=rng.choice([0.0, 0.0, rng.uniform(0.02, 0.08)]))
        if rng.random() < 0.5:  # apron
            a = rng.uniform(0.05, 0.12)
            (x0, z0), (x1, z1) = corners[0], corners[2]
            for z in (z0, z1):
                parts.append(box((0, top - a / 2, z), (x1 - x0, a, 0.02)))
            for x in (x0, x1):
                parts.append(box((x, top - a / 2, 0), (0.02, a, z1 - z0)))
        if rng.random() < 0.2:  # lower shelf
            parts.append(box((0, rng.uniform(0.1, 0.25), 0), (w * 0.8, 0.02, d * 0.8)))
    elif style == "pedestal":
        n = 1 if (round_top or w < 1.3) else 2
        for x in np.linspace(-w / 4, w / 4, n) if n == 2 else [0.0]:
            parts.append(rod((x, 0.03, 0), (x, top, 0), rng.uniform(0.04, 0.1)))
            if rng.random() < 0.5:
                parts.append(cylinder((x, 0, 0), rng.uniform(0.2, 0.35), 0.03, top_radius=rng.uniform(0.05, 0.2)))
            else:
                reach = min(w, d) * rng.uniform(0.25, 0.4)
                a0 = rng.uniform(0, np.pi)
                for k in range(int(rng.integers(3, 5))):
                    a = a0 + k * 2 * np.pi / 4
                    parts.append(box((x + reach / 2 * np.cos(a), 0.03, reach / 2 * np.sin(a)), (reach, 0.05, 0.06),
                                     rotation=rot_y(-a)))
    else:  # trestle: two end frames joined by a stretcher
        for x in (-w / 2 + 0.15, w / 2 - 0.15):
            if rng.random() < 0.5:
                parts.append(box((x, top / 2, 0), (lt, top, d * 0.15)))
            else:
                parts += [rod((x, 0.03, -d * 0.3), (x, top, 0), lt / 2), rod((x, 0.03, d * 0.3), (x, top, 0), lt / 2)]
            parts.append(box((x, 0.025, 0), (lt * 1.2, 0.05, d * 0.75)))
        parts.append(box((0, top * rng.uniform(0.2, 0.6), 0), (w - 0.3, 0.05, 0.04)))
    return parts


def drawer_unit(rng, x: float, width: float, top: float, depth: float):
    """A closed cabinet with drawer fronts on its ``+z`` face."""
    parts = [box((x, top / 2, 0), (width, top, depth))]
    n = int(rng.integers(1, 5))
    gap = 0.01
    hgt = (top - 0.05) / n
    for i in range(n):
        y = 0.05 + (i + 0.5) * hgt
        parts.append(box((x, y, depth / 2 + 0.008), (width - 0.04, hgt - gap, 0.016)))
        if rng.random() < 0.7:
            parts.append(box((x, y + hgt * 0.25, depth / 2 + 0.025), (width * 0.3, 0.015, 0.02)))
    return parts


def desk(rng):
    w, d, h = rng.uniform(1.0, 1.8), rng.uniform(0.5, 0.8), rng.uniform(0.7, 0.78)
    t = rng.uniform(0.02, 0.05)
    top = h - t
    parts = [box((0, h - t / 2, 0), (w, t, d))]
    style = rng.choice(["one_pedestal", "two_pedestals", "panels", "legs"])
    pw = rng.uniform(0.35, 0.5)
    side = rng.choice([-1.0, 1.0])
    if style == "one_pedestal":
        parts += drawer_unit(rng, side * (w / 2 - pw / 2), pw, top, d * 0.95)
        other = -side * (w / 2 - 0.04)
        if rng.random() < 0.5:
            parts.append(box((other, top / 2, 0), (0.03, top, d * 0.95)))
        else:
            parts += legs(rng, [(other, -d / 2 + 0.04), (other, d / 2 - 0.04)], top, 0.04)
    elif style == "two_pedestals":
        pw = min(pw, w * 0.3)
        for s in (-1, 1):
            parts += drawer_unit(rng, s * (w / 2 - pw / 2), pw, top, d * 0.95)
    elif style == "panels":
        for s in (-1, 1):
            parts.append(box((s * (w / 2 - 0.02), top / 2, 0), (rng.uniform(0.02, 0.05), top, d)))
        if rng.random() < 0.5:  # a single drawer under the top
            parts.append(box((0, top - 0.06, 0), (w * 0.4, 0.1, d * 0.9)))
    else:  # writing desk: legs and a shallow drawer box under the top
        lt = rng.uniform(0.03, 0.06)
        parts += legs(rng, four_corners(w, d, lt), top, lt)
        dh = rng.uniform(0.08, 0.15)
        parts.append(box((0, top - dh / 2, 0), (w - 2 * lt - 0.02, dh, d - 2 * lt)))
    if rng.random() < 0.65:  # modesty panel
        ph = top * rng.uniform(0.3, 0.7)
        parts.append(box((0, top - ph / 2, -d / 2 + 0.03), (w - 0.1, ph, 0.02)))
    if rng.random() < 0.3:  # hutch shelf on the back of the top
        sh, sd = rng.uniform(0.2, 0.45), rng.uniform(0.2, 0.3)
        parts += [box((0, h + sh, -d / 2 + sd / 2), (w, 0.02, sd)),
                  box((-w / 2 + 0.01, h + sh / 2, -d / 2 + sd / 2), (0.02, sh, sd)),
                  box((w / 2 - 0.01, h + sh / 2, -d / 2 + sd / 2), (0.02, sh, sd))]
    return parts


def bookshelf(rng):
    if rng.random() < 0.3:  # low and wide, like a sideboard
        w, hgt, d = rng.uniform(0.9, 1.8), rng.uniform(0.6, 1.0), rng.uniform(0.3, 0.5)
    else:
        w, hgt, d = rng.uniform(0.5, 1.6), rng.uniform(0.8, 2.1), rng.uniform(0.22, 0.42)
    b = rng.uniform(0.015, 0.04)
    plinth = rng.choice([0.0, rng.uniform(0.04, 0.1)])
    parts = [box((-w / 2 + b / 2, hgt / 2, 0), (b, hgt, d)), box((w / 2 - b / 2, hgt / 2, 0), (b, hgt, d)),
             box((0, hgt - b / 2, 0), (w, b, d))]
    if rng.random() < 0.7:
        parts.append(box((0, hgt / 2, -d / 2 + 0.005), (w, hgt, 0.01)))
    if plinth > 0:
        parts.append(box((0, plinth / 2, d / 2 - 0.02), (w - 2 * b, plinth, 0.02)))
    n = max(2, round(hgt / rng.uniform(0.25, 0.42)))
    levels = np.linspace(plinth + b / 2, hgt - b, n + 1)[:-1]
    columns = 2 if (w > 1.1 and rng.random() < 0.5) else 1
    if columns == 2:
        parts.append(box((0, hgt / 2, 0), (b, hgt, d)))
    books = rng.random() < 0.5
    gap = levels[1] - levels[0]
    doors = int(rng.integers(1, n)) if rng.random() < 0.3 else 0  # lowest shelves behind doors
    if doors:
        door_top = levels[doors] - b / 2
        for x in (-w / 4, w / 4):
            parts.append(box((x, (plinth + door_top) / 2, d / 2 - 0.01), (w / 2 - 0.01, door_top - plinth, 0.02)))
    for i, y in enumerate(levels):
        parts.append(box((0, y, 0), (w - 2 * b, b, d)))
        if books and i >= doors and rng.random() < 0.7:
            x = -w / 2 + b + rng.uniform(0, 0.2)
            end = x + rng.uniform(0.3, 1.0) * (w - 2 * b)
            while x < end:
                bw = rng.uniform(0.02, 0.06)
                bh = min(gap - 0.02, rng.uniform(0.15, 0.3))
                parts.append(box((x + bw / 2, y + b / 2 + bh / 2, 0.0), (bw, bh, d * rng.uniform(0.6, 0.9))))
                x += bw + rng.uniform(0, 0.005)
    return parts


def bed(rng):
    length, w = rng.uniform(1.9, 2.2), rng.uniform(0.9, 1.9)
    frame_h, mat = rng.uniform(0.15, 0.4), rng.uniform(0.15, 0.3)
    feet = rng.choice([0.0, rng.uniform(0.05, 0.15)])
    parts = [box((0, (frame_h + feet) / 2, 0), (w, frame_h - feet, length)),
             box((0, frame_h + mat / 2, 0.02), (w - 0.04, mat, length - 0.06))]
    if feet > 0:
        parts += legs(rng, four_corners(w, length, 0.05), feet, 0.05)
    top = frame_h + mat
    if rng.random() < 0.15:  # daybed: a back along one long side and low ends
        back_h = top + rng.uniform(0.25, 0.5)
        parts.append(box((-w / 2 - 0.04, back_h / 2, 0), (0.08, back_h, length + 0.08)))
        for z in (-length / 2 - 0.04, length / 2 + 0.04):
            parts.append(box((0, (top + 0.15) / 2, z), (w + 0.08, top + 0.15, 0.08)))
        parts.append(Ellipsoid((-w / 2 + 0.15, top + 0.08, 0), (0.1, 0.08, length * 0.35)))
        return parts
    head_h = top + rng.uniform(0.25, 0.8)
    ht = rng.uniform(0.04, 0.12)
    if rng.random() < 0.6:
        parts.append(box((0, head_h / 2, -length / 2 - ht / 2), (w + 0.04, head_h, ht)))
    else:  # posts with a panel or slats between them
        for x in (-w / 2, w / 2):
            parts.append(box((x, head_h / 2, -length / 2 - ht / 2), (0.07, head_h, 0.07)))
        parts.append(box((0, head_h - 0.08, -length / 2 - ht / 2), (w, 0.1, ht * 0.6)))
        for x in np.linspace(-w / 2, w / 2, int(rng.integers(3, 9)))[1:-1]:
            parts.append(box((x, (top + head_h) / 2, -length / 2 - ht / 2), (0.03, head_h - top, 0.03)))
    if rng.random() < 0.4:
        foot_h = top + rng.uniform(0.0, 0.3)
        parts.append(box((0, foot_h / 2, length / 2 + 0.03), (w + 0.04, foot_h, 0.05)))
    n_pillows = 1 if w < 1.3 else int(rng.integers(1, 3))
    for x in np.linspace(-w / 4, w / 4, n_pillows) if n_pillows > 1 else [0.0]:
        pw = (w - 0.1) / n_pillows * 0.9
        parts.append(Ellipsoid((x, top + 0.05, -length / 2 + 0.3), (pw / 2, rng.uniform(0.05, 0.1), 0.2)))
    if rng.random() < 0.5:  # blanket over the lower part
        bl = length * rng.uniform(0.4, 0.7)
        parts.append(box((0, top + 0.02, length / 2 - bl / 2), (w + 0.06, 0.04, bl)))
    return parts

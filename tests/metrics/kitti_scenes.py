"""KITTI label frames for the evaluator's tests: hand-made objects and random scenes."""

from __future__ import annotations

import numpy as np

from strl.formats.kitti_labels import KittiLabels

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Misc", "DontCare")
SIZES = {"Car": (1.5, 1.6, 3.9), "Van": (2.2, 1.9, 5.0), "Truck": (3.2, 2.5, 10.0), "Pedestrian": (1.75, 0.6, 0.8),
         "Person_sitting": (1.2, 0.6, 0.9), "Cyclist": (1.75, 0.6, 1.8), "Misc": (1.8, 1.5, 3.0)}


def obj(name="Car", bbox=(100.0, 100.0, 200.0, 160.0), location=(0.0, 1.7, 20.0), dims=None, ry=0.0, alpha=0.0,
        truncated=0.0, occluded=0, score=None) -> dict:
    """One object; ``dims`` is ``(h, w, l)`` (default: a typical size of the class)."""
    return {"name": name, "bbox": bbox, "location": location, "dims": dims or SIZES.get(name, (1.5, 1.6, 3.9)),
            "ry": ry, "alpha": alpha, "truncated": truncated, "occluded": occluded, "score": score}


def frame(objects: list[dict], scores: bool | None = None) -> KittiLabels:
    """A frame of objects made by :func:`obj`; with scores when they carry one (or ``scores=True``)."""
    if scores is None:
        scores = bool(objects) and objects[0]["score"] is not None
    k = len(objects)
    return KittiLabels(
        name=np.array([o["name"] for o in objects], dtype=str),
        truncated=np.array([o["truncated"] for o in objects], dtype=np.float64),
        occluded=np.array([o["occluded"] for o in objects], dtype=np.int64),
        alpha=np.array([o["alpha"] for o in objects], dtype=np.float64),
        bbox=np.array([o["bbox"] for o in objects], dtype=np.float64).reshape(k, 4),
        dimensions=np.array([o["dims"] for o in objects], dtype=np.float64).reshape(k, 3),
        location=np.array([o["location"] for o in objects], dtype=np.float64).reshape(k, 3),
        rotation_y=np.array([o["ry"] for o in objects], dtype=np.float64),
        score=np.array([o["score"] for o in objects], dtype=np.float64) if scores else None,
    )


def row_of_cars(n: int, frame_index: int = 0, **kw) -> list[dict]:
    """``n`` separate objects (Cars by default) in a row along x, 15 m apart, 2D boxes 40 x 60 px."""
    out = []
    for i in range(n):
        x = 15.0 * i - 30.0
        out.append(obj(bbox=(50.0 * i, 100.0, 50.0 * i + 40.0, 160.0), location=(x, 1.7, 20.0 + frame_index), **kw))
    return out


def scored(objects: list[dict], scores) -> list[dict]:
    """Copies of ``objects`` with the given scores."""
    return [{**o, "score": float(s)} for o, s in zip(objects, scores)]


CLASS_P = (0.3, 0.08, 0.05, 0.2, 0.07, 0.15, 0.05, 0.1)  # of CLASSES in random scenes
MOSTLY_CARS = (0.75, 0.05, 0.05, 0.0, 0.0, 0.0, 0.05, 0.1)


def random_scene(rng: np.random.Generator, n_frames: int, max_gt: int = 8, max_fp: int = 5, class_p=CLASS_P):
    """Random ground truth and detections: (gt frames, dt frames).

    Ground truth of every class (DontCare included) with heights around the level limits (some at
    exactly 25 and 40 px), all occlusion and truncation levels; detections are jittered copies
    (sometimes of another class, with a flipped heading, or a small 2D box) plus random extras,
    scores partly tied, so that overlaps spread across the IoU thresholds.
    """
    gts, dts = [], []
    for _ in range(n_frames):
        g_objs, d_objs = [], []
        for _ in range(rng.integers(0, max_gt + 1)):
            name = str(rng.choice(CLASSES, p=class_p))
            left, top = rng.uniform(0, 1100), rng.uniform(50, 250)
            height = float(rng.choice([25.0, 40.0, rng.uniform(15, 150)], p=[0.1, 0.1, 0.8]))
            width = rng.uniform(20, 150)
            if name == "DontCare":
                g_objs.append(obj("DontCare", (left, top, left + width, top + height), (-1000.0, -1000.0, -1000.0),
                                  (-1.0, -1.0, -1.0), -10.0, -10.0, -1.0, -1))
                continue
            h, w, l = (s * rng.uniform(0.8, 1.2) for s in SIZES[name])
            g_objs.append(obj(name, (left, top, left + width, top + height),
                              (rng.uniform(-15, 15), rng.uniform(1.0, 2.0), rng.uniform(5, 40)), (h, w, l),
                              rng.uniform(-np.pi, np.pi), rng.uniform(-np.pi, np.pi),
                              float(rng.choice([0.0, 0.0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6])), int(rng.choice([0, 0, 1, 2, 3]))))
        for g in g_objs:
            if g["name"] == "DontCare" and rng.random() < 0.5:
                b = np.array(g["bbox"])
                d_objs.append(obj("Car", tuple(b + rng.normal(0, 5, 4)), (rng.uniform(-15, 15), 1.6, rng.uniform(5, 40)),
                                  None, rng.uniform(-3, 3), 0.0))
            if g["name"] == "DontCare" or rng.random() < 0.2:
                continue
            for _ in range(rng.integers(1, 3)):
                name = g["name"] if rng.random() < 0.8 else str(rng.choice(["Car", "Pedestrian", "Cyclist"]))
                b = np.array(g["bbox"]) + rng.normal(0, float(rng.choice([1.0, 4.0, 10.0])), 4)
                if rng.random() < 0.1:
                    b[3] = b[1] + rng.uniform(10, 45)
                spread = float(rng.choice([0.02, 0.1, 0.3]))
                loc = np.array(g["location"]) + rng.normal(0, spread, 3)
                dims = tuple(np.array(g["dims"]) * rng.uniform(1 - spread / 2, 1 + spread / 2, 3))
                ry = g["ry"] + rng.normal(0, spread / 2) + (np.pi if rng.random() < 0.15 else 0.0)
                d_objs.append(obj(name, tuple(b), tuple(loc), dims, ry, g["alpha"] + rng.normal(0, 0.3)))
        for _ in range(rng.integers(0, max_fp + 1)):
            name = str(rng.choice(["Car", "Pedestrian", "Cyclist", "Van"]))
            left, top = rng.uniform(0, 1100), rng.uniform(50, 250)
            d_objs.append(obj(name, (left, top, left + rng.uniform(20, 150), top + rng.uniform(15, 120)),
                              (rng.uniform(-15, 15), rng.uniform(1.0, 2.0), rng.uniform(5, 40)), None,
                              rng.uniform(-np.pi, np.pi), rng.uniform(-np.pi, np.pi)))
        scores = np.round(rng.uniform(0, 1, len(d_objs)), 1 if rng.random() < 0.3 else 6)
        gts.append(frame(g_objs, scores=False))
        dts.append(frame(scored(d_objs, scores), scores=True))
    return gts, dts

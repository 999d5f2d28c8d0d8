"""Writers of tiny datasets in VoteNet's prepared layouts (ScanNet and SUN RGB-D), for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_scannet_scene(data: Path, name: str, rng: np.random.Generator, n: int = 200) -> dict:
    """One scene ``<name>_{vert,sem_label,ins_label,bbox}.npy`` in ``data``: a floor (NYU40 2), a
    chair (NYU40 5, instance 1) in a box around (1, 1, 0.5) and a lamp (NYU40 35, instance 2, not a
    detection class). Returns the arrays written."""
    data.mkdir(parents=True, exist_ok=True)
    floor = np.column_stack([rng.uniform(-2, 2, (n, 2)), np.zeros(n)])
    chair = rng.uniform([0.7, 0.8, 0.0], [1.3, 1.2, 1.0], (n // 2, 3))
    lamp = rng.uniform([-1.1, -1.1, 0.0], [-0.9, -0.9, 1.5], (n // 4, 3))
    xyz = np.concatenate([floor, chair, lamp])
    rgb = rng.integers(0, 256, (len(xyz), 3)).astype(np.float64)
    sem = np.concatenate([np.full(n, 2), np.full(n // 2, 5), np.full(n // 4, 35)]).astype(np.int64)
    ins = np.concatenate([np.zeros(n), np.full(n // 2, 1), np.full(n // 4, 2)]).astype(np.int64)
    lo, hi = chair.min(axis=0), chair.max(axis=0)
    bbox = np.array([[*(lo + hi) / 2, *(hi - lo), 5.0]])
    arrays = {"vert": np.column_stack([xyz, rgb]), "sem_label": sem, "ins_label": ins, "bbox": bbox}
    for suffix, arr in arrays.items():
        np.save(data / f"{name}_{suffix}.npy", arr)
    return arrays


def write_scannet(root: Path, rng: np.random.Generator, train=("scene0000_00", "scene0001_00"),
                  val=("scene0002_00",)) -> Path:
    """VoteNet's ``scannet/`` folder: ``meta_data/scannetv2_{train,val}.txt`` beside
    ``scannet_train_detection_data/`` holding the listed scenes. Returns ``root``."""
    data = root / "scannet_train_detection_data"
    for name in (*train, *val):
        write_scannet_scene(data, name, rng)
    (root / "meta_data").mkdir(parents=True, exist_ok=True)
    for split, names in (("train", train), ("val", val)):
        (root / "meta_data" / f"scannetv2_{split}.txt").write_text("".join(f"{n}\n" for n in names))
    return root


def write_sunrgbd_view(folder: Path, name: str, rng: np.random.Generator, n: int = 300,
                       boxes: np.ndarray | None = None) -> dict:
    """``<name>_pc.npz`` (pc: xyz + rgb 0..1), ``<name>_bbox.npy`` (centre, half sizes, heading, class) and
    ``<name>_votes.npz`` (point_votes) in ``folder``; by default one bed (class 0) turned by 0.3 rad."""
    folder.mkdir(parents=True, exist_ok=True)
    boxes = np.array([[1.0, 2.0, 0.5, 1.0, 0.8, 0.5, 0.3, 0.0]]) if boxes is None else boxes
    pc = np.column_stack([rng.uniform(-2, 3, (n, 3)), rng.uniform(0, 1, (n, 3))])
    votes = np.zeros((n, 10))
    votes[: n // 3, 0] = 1
    votes[: n // 3, 1:] = np.tile(boxes[0, :3] - pc[: n // 3, :3], 3)
    np.savez(folder / f"{name}_pc.npz", pc=pc)
    np.save(folder / f"{name}_bbox.npy", boxes)
    np.savez(folder / f"{name}_votes.npz", point_votes=votes)
    return {"pc": pc, "bbox": boxes, "point_votes": votes}


def write_sunrgbd(root: Path, rng: np.random.Generator, version: str = "v1") -> Path:
    """``sunrgbd_pc_bbox_votes_50k_<version>_{train,val}/`` in ``root`` with two and one views."""
    for split, names in (("train", ("000001", "000002")), ("val", ("000003",))):
        for name in names:
            write_sunrgbd_view(root / f"sunrgbd_pc_bbox_votes_50k_{version}_{split}", name, rng)
    return root

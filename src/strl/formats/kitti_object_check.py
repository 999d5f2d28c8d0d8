"""The KITTI object layout as ``strl data check`` / ``strl data preview`` see it.

:func:`object_parts` opens each split as a :class:`KittiObjectClouds` (a CloudSet of the FOV
points); its ``file_report(problems)`` reads every label, calibration and image header of the split
(not the sweeps: their sizes are checked from the file system) and counts objects per class. With
the devkit's ``mapping/`` folder it adds where the split's frames come from in the raw drives and how
they meet odometry sequences 00-10 (the usual LiDAR pre-training data).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from strl.errors import DataError
from strl.formats.kitti_calib import read_calibration
from strl.formats.kitti_labels import read_label_file
from strl.formats.kitti_mapping import (
    find_mapping, odometry_frames, pretraining_overlap, raw_frames_of_split, read_object_mapping,
)
from strl.formats.kitti_object import KittiObjectDataset, read_image_shape
from strl.sequences.frame_files import listing
from strl.sequences.kitti_files import sweep_size

__all__ = ["KittiObjectClouds", "object_parts", "split_file_report"]


class KittiObjectClouds:
    """One split as a CloudSet: item ``i`` is the ``(N, 3)`` float32 FOV points of frame ``i``.

    ``dataset`` is the :class:`KittiObjectDataset` (``strict=False``: frames without their files
    are left out and reported). ``files``: the sweep of each item.
    """

    labels = None
    class_names = None

    def __init__(self, dataset: KittiObjectDataset, raw_lines: list[str] | None = None):
        self.dataset = dataset
        self.files = [dataset.path(i, "velodyne") for i in range(len(dataset))]
        self.raw_lines = raw_lines or []

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int):
        return self.dataset.points(i)[:, :3]

    def file_report(self, problems: list[str]) -> dict:
        """See :func:`split_file_report`; adds the raw-data lines."""
        report = split_file_report(self.dataset, problems)
        report["lines"] += self.raw_lines
        return report


def _checked(read, problems: list[str]):
    """``read()``, or None after adding its DataError to ``problems`` (once: the generic check may
    have met the same file)."""
    try:
        return read()
    except DataError as e:
        if str(e) not in problems:
            problems.append(str(e))
        return None


def split_file_report(ds: KittiObjectDataset, problems: list[str]) -> dict:
    """Counts and problems of one split's files: ``{"frames", "frames_missing", "objects",
    "image_shapes", "road_planes", "lines"}`` (``lines``: the same as text). Each problem names its file."""
    if ds.missing:
        problems.append(f"{ds.split_file or ds.folder}: {ds.missing_message()}")
    objects: Counter = Counter()
    shapes: Counter = Counter()
    for i in range(len(ds)):
        _checked(lambda: sweep_size(ds.path(i, "velodyne")), problems)
        _checked(lambda: read_calibration(ds.path(i, "calib")), problems)
        shape = _checked(lambda: read_image_shape(ds.path(i, "image_2")), problems)
        if shape is not None:
            shapes[f"{shape[1]}x{shape[0]}"] += 1
        labels = _checked(lambda: ds.labels(i), problems) if ds.has_labels else None
        if labels is not None:
            objects.update(labels.name.tolist())
    planes = sum(ds.path(i, "planes").is_file() for i in range(len(ds)))
    lines = [f"KITTI object split {ds.split!r}: {len(ds)} frame(s) with all their files"
             + (f", {len(ds.missing)} without" if ds.missing else "")]
    if ds.has_labels:
        lines.append("objects: " + (", ".join(f"{name} {n}" for name, n in sorted(objects.items())) or "none"))
    lines.append("image_2 sizes (w x h): " + (", ".join(f"{s} ({n})" for s, n in shapes.most_common()) or "none read"))
    if planes:
        lines.append(f"road planes: {planes} of {len(ds)} frames")
    return {"frames": len(ds), "frames_missing": len(ds.missing), "objects": dict(objects),
            "image_shapes": dict(shapes), "road_planes": planes, "lines": lines}


def _raw_lines(root: Path, datasets: dict[str, KittiObjectDataset], problems: list[str]) -> dict[str, list[str]]:
    """Per labelled split: the raw drives of its frames, drives shared with the other split, and
    the odometry 00-10 frames among them (via the devkit mapping, when present)."""
    mapping_dir = find_mapping(root)
    labelled = {s: ds for s, ds in datasets.items() if ds.folder.name == "training"}
    if mapping_dir is None or not labelled:
        return {}
    mapping = _checked(lambda: read_object_mapping(mapping_dir), problems)
    if mapping is None:
        return {}
    frames = {}
    for split, ds in labelled.items():
        mapped = _checked(lambda: raw_frames_of_split(mapping, ds.ids, ds.split_file or ds.folder), problems)
        if mapped is not None:
            frames[split] = mapped
    drives = {s: {f.drive for f in fs} for s, fs in frames.items()}
    odometry = pretraining_overlap(frames, odometry_frames())
    out = {}
    for split, fs in frames.items():
        line = f"raw data ({mapping_dir.name}/): {len(fs)} frame(s) from {len(drives[split])} drive(s)"
        if split in ("train", "val"):
            others = set().union(*(d for s, d in drives.items() if s != split and s in ("train", "val")))
            shared = sorted(drives[split] & others)
            line += f"; {len(shared)} drive(s) shared with the other split" + (f": {listing(shared)}" if shared else "")
        odo = odometry[split]
        out[split] = [line, f"odometry 00-10 (pre-training): {len(odo['shared_drives'])} of these drives, "
                            f"{odo['frames_near']} of these frames"]
    return out


def object_parts(root: str | os.PathLike) -> dict[str, KittiObjectClouds]:
    """``{split: KittiObjectClouds}`` for each ``ImageSets/<split>.txt`` (train, val, test) whose
    folder is there, else ``{"training": ..., "testing": ...}`` (every frame of each folder)."""
    root = Path(root)
    splits = [s for s in ("train", "val", "test") if (root / "ImageSets" / f"{s}.txt").is_file()
              and (root / ("testing" if s == "test" else "training")).is_dir()]
    if not splits:
        splits = [s for s in ("training", "testing") if (root / s / "velodyne").is_dir()]
    if not splits:
        raise DataError(root, "no KITTI object split: expected ImageSets/{train,val,test}.txt or training/velodyne/")
    datasets = {s: KittiObjectDataset(root, s, strict=False) for s in splits}
    mapping_notes: list[str] = []  # a bad mapping does not stop training: shown, not a problem
    raw = _raw_lines(root, datasets, mapping_notes)
    parts = {s: KittiObjectClouds(ds, raw.get(s)) for s, ds in datasets.items()}
    next(iter(parts.values())).raw_lines.extend(f"devkit mapping not used: {m}" for m in mapping_notes)
    return parts

"""What the PATH of ``strl data check`` / ``strl data preview`` names: the built-in data, rooms or streets, or a dataset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

BUILTIN = "builtin"
BUILTIN_ROOMS = "builtin-rooms"
BUILTIN_STREETS = "builtin-streets"


def builtin_detected(size: str, cache_dir: str, seed: int = 0):
    """The built-in data as a :class:`~strl.formats.detect.Detected`: its sequences and its two splits."""
    from strl.formats.detect import Detected

    def open_builtin() -> dict:
        from strl.train.data import builtin_data

        data = builtin_data(seed=seed, cache_dir=cache_dir, size=size)
        return {"sequences": data.sequences(), "train": data.clouds("train"), "test": data.clouds("test")}

    return Detected(BUILTIN, f"strl's built-in generated objects (size {size!r}, seed {seed})", open_builtin,
                    Path(BUILTIN), pipeline="object", up="y")


def builtin_rooms_detected(size: str, cache_dir: str, seed: int = 0):
    """The built-in rooms as a :class:`~strl.formats.detect.Detected`: pre-training frames and three labelled splits."""
    from strl.formats.detect import Detected

    def open_rooms() -> dict:
        from strl.train.data import builtin_rooms_data

        data = builtin_rooms_data(seed=seed, cache_dir=cache_dir, size=size)
        return {"frames": data.frames(), **{split: data.scenes(split) for split in ("train", "val", "test")}}

    return Detected(BUILTIN_ROOMS, f"strl's built-in generated rooms (size {size!r}, seed {seed})", open_rooms,
                    Path(BUILTIN_ROOMS), pipeline="scene", up="z")


def builtin_streets_detected(size: str, cache_dir: str, seed: int = 0):
    """The built-in streets as a :class:`~strl.formats.detect.Detected`: the pre-training sweeps
    (KITTI odometry layout) and the labelled train and val frames (KITTI object layout)."""
    from strl.formats.detect import Detected

    def open_streets() -> dict:
        from strl.formats.builtin_streets import builtin_streets_root
        from strl.formats.kitti_object_check import object_parts
        from strl.sequences.kitti import KittiSequences

        root = builtin_streets_root(seed, size, cache_dir or None)
        return {"sequences": KittiSequences(root / "odometry"), **object_parts(root / "object")}

    return Detected(BUILTIN_STREETS, f"strl's built-in generated streets (size {size!r}, seed {seed})", open_streets,
                    Path(BUILTIN_STREETS), pipeline="scene", up="-y")


def _names(args, name: str) -> bool:
    """Whether ``args`` ask for the built-in data called ``name`` (and no such file is there)."""
    return args.format == name or (args.format is None and args.path == name and not Path(name).exists())


def detect(args):
    """What ``args.path`` holds: the built-in data for ``builtin``, the built-in rooms for ``builtin-rooms``,
    the built-in streets for ``builtin-streets`` (unless such a file exists), else identify().

    RGB-D frames are read at ``args.depth_scale`` depth units per metre when it is given.
    """
    from strl.formats.detect import identify
    from strl.formats.openers import open_rgbd

    if _names(args, BUILTIN):
        return builtin_detected(args.builtin_size, args.cache_dir)
    if _names(args, BUILTIN_ROOMS):
        return builtin_rooms_detected(args.builtin_size, args.cache_dir)
    if _names(args, BUILTIN_STREETS):
        return builtin_streets_detected(args.builtin_size, args.cache_dir)
    detected = identify(args.path, args.format)
    if detected.format == "rgbd" and args.depth_scale is not None:
        scale = args.depth_scale
        detected = replace(detected, open=lambda: open_rgbd(detected.path, depth_scale=scale))
    return detected

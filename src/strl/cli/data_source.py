"""What the PATH of ``strl data check`` / ``strl data preview`` names: the built-in data or rooms, or a dataset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

BUILTIN = "builtin"
BUILTIN_ROOMS = "builtin-rooms"


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


def detect(args):
    """What ``args.path`` holds: the built-in data for ``builtin``, the built-in rooms for ``builtin-rooms``
    (unless such a file exists), else identify().

    RGB-D frames are read at ``args.depth_scale`` depth units per metre when it is given.
    """
    from strl.formats.detect import identify
    from strl.formats.openers import open_rgbd

    if args.format == BUILTIN or (args.format is None and args.path == BUILTIN and not Path(BUILTIN).exists()):
        return builtin_detected(args.builtin_size, args.cache_dir)
    if args.format == BUILTIN_ROOMS or (args.format is None and args.path == BUILTIN_ROOMS
                                        and not Path(BUILTIN_ROOMS).exists()):
        return builtin_rooms_detected(args.builtin_size, args.cache_dir)
    detected = identify(args.path, args.format)
    if detected.format == "rgbd" and args.depth_scale is not None:
        scale = args.depth_scale
        detected = replace(detected, open=lambda: open_rgbd(detected.path, depth_scale=scale))
    return detected

"""Which scenes of an RGB-D root a reader uses: a scene list, then a seeded scene-level split."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Collection, Sequence

import numpy as np

from strl.errors import DataError
from strl.sequences.frame_files import listing

SPLITS = ("all", "train", "val")


def scene_group(name: str) -> str:
    """Scans of one room share a group (ScanNet ``scene0007_00`` and ``scene0007_01``)."""
    match = re.fullmatch(r"(scene\d+)_\d+", name)
    return match.group(1) if match else name


def split_scenes(names: Sequence[str], split: str, val_fraction: float, seed: int) -> list[str]:
    """Scene-level train/val split, seeded; rescans of one ScanNet room stay on one side.

    ``val`` takes ``round(val_fraction * groups)`` groups (at least one when the fraction is
    positive and there are two or more groups; never all of them).
    """
    if split == "all":
        return list(names)
    groups = sorted({scene_group(n) for n in names})
    n_val = int(round(val_fraction * len(groups)))
    if val_fraction > 0 and len(groups) >= 2:
        n_val = min(max(n_val, 1), len(groups) - 1)
    order = np.random.default_rng(seed).permutation(len(groups))
    val_groups = {groups[i] for i in order[:n_val]}
    return [n for n in names if (scene_group(n) in val_groups) == (split == "val")]


def read_scene_list(scenes: Sequence[str] | str | os.PathLike) -> tuple[list[str], Path | None]:
    """Scene names given as a list, or as a text file of one name a line (``#`` comments); and that file."""
    if isinstance(scenes, (str, os.PathLike)):
        path = Path(scenes)
        if not path.is_file():
            raise DataError(path, "scene list file does not exist")
        lines = path.read_text().splitlines()
        return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")], path
    return [str(s) for s in scenes], None


def select_scenes(
    root: Path,
    available: Collection[str],
    scenes: Sequence[str] | str | os.PathLike | None,
    split: str,
    val_fraction: float,
    split_seed: int,
) -> list[str]:
    """The names of ``available`` scene folders of ``root`` that are listed in ``scenes`` (all when
    ``None``) and fall in ``split``, sorted. DataError for unknown names or an empty split."""
    names = sorted(available)
    if scenes is not None:
        wanted, list_file = read_scene_list(scenes)
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise DataError(list_file or root, f"unknown scene(s) under {root}: {listing(unknown)}")
        names = sorted(set(wanted))
    names = split_scenes(names, split, val_fraction, split_seed)
    if not names:
        raise DataError(root, f"no scenes in split {split!r} (val_fraction={val_fraction})")
    return names

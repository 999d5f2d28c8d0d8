"""Files every sequence reader reads: numbered frame files and text tables of numbers.

Also :class:`DataWarning`, the warning the readers give when they drop part of their input.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from strl.errors import DataError

SHOWN = 5  # file names listed in a message before "..."


class DataWarning(UserWarning):
    """Input that was usable only after dropping part of it (frames, sweeps, pixels)."""


def listing(names: Sequence[str]) -> str:
    """The first :data:`SHOWN` names joined by commas, then how many more there are."""
    head = ", ".join(str(n) for n in names[:SHOWN])
    return head + (f", ... ({len(names) - SHOWN} more)" if len(names) > SHOWN else "")


def frame_key(path: Path) -> int:
    """The integer a frame file is ordered by: its stem (``000100.png`` -> 100), or the trailing digits."""
    match = re.search(r"(\d+)$", path.stem)
    if match is None:
        raise DataError(path, "file name has no frame number (expected e.g. 000100" + path.suffix + ")")
    return int(match.group(1))


def list_frames(folder: Path, suffix: str) -> dict[int, Path]:
    """Files ``folder/*suffix`` keyed by frame number; two files with one number are an error."""
    frames: dict[int, Path] = {}
    for path in sorted(folder.glob("*" + suffix)):
        key = frame_key(path)
        if key in frames:
            raise DataError(folder, f"{frames[key].name} and {path.name} have the same frame number {key}")
        frames[key] = path
    return frames


def read_number_table(path: Path, what: str) -> np.ndarray:
    """Whitespace-separated numbers as a 2-D float64 array; an empty file gives an empty array.

    Raises DataError naming ``path`` and ``what`` when the text is not numbers.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # loadtxt warns on an empty file; callers check the shape
            return np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot parse {what} as numbers ({exc})") from None

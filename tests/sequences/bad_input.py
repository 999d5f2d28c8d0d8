"""Scaffolding shared by the sequence readers' bad-input tests (tests/sequences/test_*.py)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import pytest

from strl.errors import DataError
from strl.sequences.frame_files import DataWarning


def each_breakage(cases: list[tuple[str, str]]):
    """Parametrize a test over ``(kind, message)`` cases, each named by its kind."""
    return pytest.mark.parametrize("kind,message", cases, ids=[kind for kind, _ in cases])


def assert_data_error(call: Callable[[], object], message: str) -> None:
    """``call()`` raises a DataError whose message matches ``message``; DataWarnings on the way are ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(DataError, match=message):
            call()


def assert_frames_fail(seqs, messages: dict[int, str]) -> None:
    """Reading frame ``t`` of the first sequence raises a DataError matching ``messages[t]``, for each ``t``."""
    for t, message in messages.items():
        assert_data_error(lambda: seqs.frame(0, t), message)


def empty_folder(folder: Path) -> None:
    """Delete the files in ``folder``."""
    for p in folder.iterdir():
        p.unlink()


def remove_folder(folder: Path) -> None:
    """Delete ``folder`` and the files in it."""
    empty_folder(folder)
    folder.rmdir()

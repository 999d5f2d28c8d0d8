"""One family of exceptions for bad user input.

The CLI catches :class:`StrlError` and prints its message without a traceback, so every
message must name the file (or key) and say what is wrong with it. The errors pickle as
themselves, so one raised in a DataLoader worker or another process keeps its type and fields.
"""

from __future__ import annotations

import os


class StrlError(Exception):
    """Base class of every error caused by user input (files, configs, checkpoints)."""


class PathError(StrlError):
    """An error about one file: the message is ``"<path>: <problem>"``."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)

    def __reduce__(self):
        return type(self), (self.path, self.problem)


class DataError(PathError):
    """A data file or folder is missing, malformed or holds unusable values."""


class ConfigError(StrlError):
    """An unknown configuration key, a value of the wrong type, or an unknown registry name."""


class CheckpointError(PathError):
    """A checkpoint that cannot be read or does not fit the requested encoder."""

"""Fixtures shared by the format tests: a seeded generator and a writer of tiny HDF5 files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest


def _write_h5(path, **datasets):
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for key, value in datasets.items():
            f.create_dataset(key, data=value)
    return path


@pytest.fixture
def write_h5():
    """``write_h5(path, key=array, ...)`` writes an HDF5 file with one dataset per keyword."""
    return _write_h5


@pytest.fixture
def rng():
    return np.random.default_rng(0)

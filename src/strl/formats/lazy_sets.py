"""CloudSets that read one file per item when it is asked for, so one bad file is one failing item."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strl.errors import DataError
from strl.formats.io_utils import check_index


class ModelNetTextFiles:
    """One split of ``modelnet40_normal_resampled``, read lazily file by file (a CloudSet).

    ``self[i]`` is every row of ``files[i]`` as ``(N, 3)`` float32. Unlike
    :func:`strl.formats.modelnet.load_modelnet`, nothing is read up front, so one bad file is
    one failing item.
    """

    def __init__(self, folder: Path, split: str):
        from strl.formats.modelnet import read_split_index

        index = read_split_index(folder, split)
        self.class_names, self.files, self.labels = index.names, index.files, index.labels
        self.split_file = index.split_file

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        from strl.formats.modelnet import read_normal_txt

        path = self.files[check_index(i, len(self))]
        if not path.is_file():
            raise DataError(path, f"not found (listed in {self.split_file.name})")
        return read_normal_txt(path, None)


class SingleFile:
    """One point file as a one-item CloudSet."""

    labels = None
    class_names = None

    def __init__(self, path: Path, seed: int = 0):
        self.path, self.seed = path, seed

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> np.ndarray:
        """The file's cloud as ``(N, 3)`` float32."""
        from strl.formats.folder import read_point_file

        check_index(i, 1)
        return read_point_file(self.path, rng=np.random.default_rng(self.seed))

"""How a dataset's boxes are parameterised for VoteNet: classes, heading bins, mean sizes.

Each class is its own size cluster (both ScanNet and SUN RGB-D do this), so a box's size class
is its semantic class and its size residual is measured from that class's mean size. The
tables are VoteNet's (``model_util_scannet.py`` with ``scannet_means.npz``, and
``model_util_sunrgbd.py``): full sizes ``(dx, dy, dz)`` in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from strl.errors import ConfigError
from strl.registry import Registry


@dataclass(frozen=True)
class BoxConfig:
    """Box parameterisation of one dataset.

    ``mean_sizes`` holds one ``(dx, dy, dz)`` per size cluster (= per class, in class order).
    """

    name: str
    class_names: tuple[str, ...]
    num_heading_bin: int
    mean_sizes: tuple[tuple[float, float, float], ...]

    def __post_init__(self):
        if self.num_heading_bin < 1:
            raise ConfigError(f"box config {self.name!r}: num_heading_bin must be >= 1, got {self.num_heading_bin}")
        if len(self.mean_sizes) != len(self.class_names) or not self.class_names:
            raise ConfigError(
                f"box config {self.name!r}: {len(self.mean_sizes)} mean sizes for {len(self.class_names)} classes"
            )
        if any(len(s) != 3 or min(s) <= 0 for s in self.mean_sizes):
            raise ConfigError(f"box config {self.name!r}: every mean size must be three positive lengths")

    @property
    def num_class(self) -> int:
        return len(self.class_names)

    @property
    def num_size_cluster(self) -> int:
        return len(self.mean_sizes)

    @property
    def num_outputs(self) -> int:
        """Channels of the proposal head: objectness 2, centre 3, heading 2·NH, size 4·NS, semantic NC."""
        return 2 + 3 + 2 * self.num_heading_bin + 4 * self.num_size_cluster + self.num_class

    def mean_size_tensor(self, like: torch.Tensor | None = None) -> torch.Tensor:
        """``(NS, 3)`` mean sizes, with the dtype and device of ``like`` (float32 on the CPU without)."""
        if like is None:
            return torch.tensor(self.mean_sizes, dtype=torch.float32)
        return torch.tensor(self.mean_sizes, dtype=like.dtype, device=like.device)


BOX_CONFIGS: Registry = Registry("box config")

#: ScanNet's 18 classes and the nyu40 ids they come from (``model_util_scannet.py``).
SCANNET_NYU40_IDS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 24, 28, 33, 34, 36, 39)

SCANNET = BOX_CONFIGS.register("scannet")(
    BoxConfig(
        name="scannet",
        class_names=(
            "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture",
            "counter", "desk", "curtain", "refrigerator", "showercurtrain", "toilet", "sink",
            "bathtub", "garbagebin",
        ),
        num_heading_bin=1,
        # scannet_means.npz ``arr_0`` (float32 values)
        mean_sizes=(
            (0.76966727, 0.8116021, 0.92573744),
            (1.876858, 1.8425595, 1.1931566),
            (0.61328, 0.6148609, 0.7182701),
            (1.3955007, 1.5121545, 0.83443564),
            (0.97949594, 1.0675149, 0.6329687),
            (0.531663, 0.5955577, 1.7500148),
            (0.9624706, 0.72462326, 1.1481868),
            (0.83221924, 1.0490936, 1.6875663),
            (0.21132214, 0.4206159, 0.5372846),
            (1.4440073, 1.8970833, 0.26985747),
            (1.0294262, 1.4040797, 0.87554324),
            (1.3766412, 0.65521795, 1.6813129),
            (0.6650819, 0.71111923, 1.298853),
            (0.41999173, 0.37906948, 1.7513971),
            (0.59359556, 0.5912492, 0.73919016),
            (0.50867593, 0.50656086, 0.30136237),
            (1.1511526, 1.0546296, 0.49706793),
            (0.47535285, 0.49249494, 0.5802117),
        ),
    )
)

SUNRGBD = BOX_CONFIGS.register("sunrgbd")(
    BoxConfig(
        name="sunrgbd",
        class_names=(
            "bed", "table", "sofa", "chair", "toilet", "desk", "dresser", "night_stand", "bookshelf", "bathtub",
        ),
        num_heading_bin=12,
        # ``type_mean_size`` of model_util_sunrgbd.py
        mean_sizes=(
            (2.114256, 1.620300, 0.927272),
            (0.791118, 1.279516, 0.718182),
            (0.923508, 1.867419, 0.845495),
            (0.591958, 0.552978, 0.827272),
            (0.699104, 0.454178, 0.756250),
            (0.695190, 1.346299, 0.736364),
            (0.528526, 1.002642, 1.172878),
            (0.500618, 0.632163, 0.683424),
            (0.404671, 1.071108, 1.688889),
            (0.765840, 1.398258, 0.472728),
        ),
    )
)

import pytest
import torch

from strl.detection.votenet.box_config import BOX_CONFIGS, SCANNET, SCANNET_NYU40_IDS, SUNRGBD, BoxConfig
from strl.errors import ConfigError

# the fact sheet's tables, rounded to mm (downstream.md §4.1)
SCANNET_SHEET = [
    ("cabinet", 3, (0.770, 0.812, 0.926)), ("bed", 4, (1.877, 1.843, 1.193)), ("chair", 5, (0.613, 0.615, 0.718)),
    ("sofa", 6, (1.396, 1.512, 0.834)), ("table", 7, (0.979, 1.068, 0.633)), ("door", 8, (0.532, 0.596, 1.750)),
    ("window", 9, (0.962, 0.725, 1.148)), ("bookshelf", 10, (0.832, 1.049, 1.688)), ("picture", 11, (0.211, 0.421, 0.537)),
    ("counter", 12, (1.444, 1.897, 0.270)), ("desk", 14, (1.029, 1.404, 0.876)), ("curtain", 16, (1.377, 0.655, 1.681)),
    ("refrigerator", 24, (0.665, 0.711, 1.299)), ("showercurtrain", 28, (0.420, 0.379, 1.751)),
    ("toilet", 33, (0.594, 0.591, 0.739)), ("sink", 34, (0.509, 0.507, 0.301)), ("bathtub", 36, (1.151, 1.055, 0.497)),
    ("garbagebin", 39, (0.475, 0.492, 0.580)),
]
SUNRGBD_SHEET = [
    ("bed", (2.114, 1.620, 0.927)), ("table", (0.791, 1.280, 0.718)), ("sofa", (0.924, 1.867, 0.845)),
    ("chair", (0.592, 0.553, 0.827)), ("toilet", (0.699, 0.454, 0.756)), ("desk", (0.695, 1.346, 0.736)),
    ("dresser", (0.529, 1.003, 1.173)), ("night_stand", (0.501, 0.632, 0.683)), ("bookshelf", (0.405, 1.071, 1.689)),
    ("bathtub", (0.766, 1.398, 0.473)),
]


def test_scannet_table():
    assert SCANNET.class_names == tuple(r[0] for r in SCANNET_SHEET)
    assert SCANNET_NYU40_IDS == tuple(r[1] for r in SCANNET_SHEET)
    torch.testing.assert_close(SCANNET.mean_size_tensor(), torch.tensor([r[2] for r in SCANNET_SHEET]), atol=5.01e-4, rtol=0)
    assert (SCANNET.num_class, SCANNET.num_heading_bin, SCANNET.num_size_cluster, SCANNET.num_outputs) == (18, 1, 18, 97)


def test_sunrgbd_table():
    assert SUNRGBD.class_names == tuple(r[0] for r in SUNRGBD_SHEET)
    torch.testing.assert_close(SUNRGBD.mean_size_tensor(), torch.tensor([r[1] for r in SUNRGBD_SHEET]), atol=5.01e-4, rtol=0)
    assert (SUNRGBD.num_class, SUNRGBD.num_heading_bin, SUNRGBD.num_size_cluster, SUNRGBD.num_outputs) == (10, 12, 10, 79)


def test_registry_and_validation():
    assert BOX_CONFIGS["scannet"] is SCANNET and BOX_CONFIGS["sunrgbd"] is SUNRGBD
    with pytest.raises(ConfigError, match="known: scannet, sunrgbd"):
        BOX_CONFIGS["kitti"]
    with pytest.raises(ConfigError, match="2 mean sizes for 1 classes"):
        BoxConfig("x", ("a",), 1, ((1, 1, 1), (2, 2, 2)))
    with pytest.raises(ConfigError, match="num_heading_bin"):
        BoxConfig("x", ("a",), 0, ((1, 1, 1),))
    like = torch.zeros(1, dtype=torch.float64)
    assert SCANNET.mean_size_tensor(like).dtype == torch.float64

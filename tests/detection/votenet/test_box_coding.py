import math

import pytest
import torch

from strl.detection.votenet.box_coding import decode_heading, decode_size, encode_heading, encode_size
from strl.detection.votenet.box_config import SUNRGBD


def test_heading_bins_by_hand():
    w = math.pi / 6  # 12 bins
    angles = torch.tensor([0.3, -0.1, w / 2, math.pi, 2 * math.pi - 1e-3], dtype=torch.float64)
    bins, res = encode_heading(angles, 12)
    assert bins.tolist() == [1, 0, 1, 6, 0]
    torch.testing.assert_close(res, torch.tensor([0.3 - w, -0.1, -w / 2, 0.0, -1e-3], dtype=torch.float64))
    # one bin: everything is bin 0 with the angle (wrapped to [-π, π)) as residual
    bins, res = encode_heading(torch.tensor([0.0, 0.5, -2.0]), 1)
    assert bins.tolist() == [0, 0, 0]
    torch.testing.assert_close(res, torch.tensor([0.0, 0.5, -2.0]))


@pytest.mark.parametrize("num_bins", [1, 12])
def test_heading_round_trip(num_bins):
    angles = torch.linspace(-3 * math.pi, 3 * math.pi, 1001, dtype=torch.float64)
    bins, res = encode_heading(angles, num_bins)
    assert bins.min() >= 0 and bins.max() < num_bins
    w = 2 * math.pi / num_bins
    assert (res >= -w / 2 - 1e-12).all() and (res < w / 2 + 1e-12).all()
    back = decode_heading(bins, res, num_bins)
    assert (back > -math.pi - 1e-12).all() and (back <= math.pi + 1e-12).all()
    # same direction: the decoded angle differs by a whole number of turns
    turns = (back - angles) / (2 * math.pi)
    torch.testing.assert_close(turns, turns.round(), atol=1e-12, rtol=0)


def test_size_round_trip():
    mean = SUNRGBD.mean_size_tensor()
    sizes = torch.tensor([[2.0, 1.5, 1.0], [0.5, 0.5, 0.8]])
    cls = torch.tensor([0, 3])
    res = encode_size(sizes, cls, mean)
    torch.testing.assert_close(res, sizes - mean[[0, 3]])
    torch.testing.assert_close(decode_size(cls, res, mean), sizes)

import numpy as np
import pytest
import torch

from strl.detection.votenet.inputs import height_channel, prepare_scene, sample_indices
from strl.errors import ConfigError


def test_sampling():
    gen = torch.Generator().manual_seed(0)
    idx = sample_indices(100, 60, gen)
    assert idx.shape == (60,) and len(set(idx.tolist())) == 60 and idx.max() < 100
    idx = sample_indices(10, 60, gen)
    assert idx.shape == (60,) and idx.max() < 10
    assert torch.equal(sample_indices(100, 60, torch.Generator().manual_seed(3)), sample_indices(100, 60, torch.Generator().manual_seed(3)))


def test_height_is_measured_from_the_floor_percentile():
    z = torch.rand(1000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    np.testing.assert_allclose(height_channel(z).numpy(), z.numpy() - np.percentile(z.numpy(), 0.99), rtol=0, atol=1e-12)


def test_prepare_scene():
    gen = torch.Generator().manual_seed(2)
    points = torch.rand(500, 3, generator=gen) * 3
    boxes = torch.tensor([[1.0, 1, 1, 1, 1, 1, 0], [2, 2, 1, 0.5, 0.5, 0.5, 0]])
    offsets = (boxes[0, :3] - points).repeat(1, 3)
    mask = torch.zeros(500, dtype=torch.bool)
    mask[:10] = True
    a = prepare_scene(points, boxes, [1, 2], offsets, mask, num_point=200, use_height=True, augment="scannet", generator=gen)
    assert a.points.shape == (200, 4) and a.vote_offsets.shape == (200, 9) and a.vote_mask.shape == (200,)
    # votes still meet at the (moved) first box centre
    torch.testing.assert_close(a.points[:, :3] + a.vote_offsets[:, :3], a.boxes[0, :3].expand(200, 3))
    b = prepare_scene(points.numpy(), boxes[:1].numpy(), np.array([0]), num_point=200, use_height=True, augment=None, generator=gen)
    assert not b.vote_mask.any() and b.points.dtype == torch.float32
    # the height is measured from the floor of the whole scene, before sampling
    floor = np.percentile(points[:, 2].numpy(), 0.99)
    torch.testing.assert_close(b.points[:, 3], b.points[:, 2] - float(floor))
    assert torch.isin(b.points[:, 0], points[:, 0]).all()
    with pytest.raises(ConfigError, match="unknown augmentation 'kitti'"):
        prepare_scene(points, boxes, [1, 2], num_point=10, use_height=False, augment="kitti", generator=gen)

import pytest
import torch

from strl.detection.pointpillars import batch_points, pillarize
from strl.detection.pointpillars.pillar_features import augment_pillar_points

RANGE = (0.0, -2.0, -3.0, 4.0, 2.0, 1.0)
VOXEL = (0.5, 0.5, 4.0)


def test_features_of_one_hand_made_pillar():
    # two points in cell x = 2, y = 5 (centre x = 1.25, y = 0.75, z = -1), slot 2 padded
    points = torch.tensor([[[1.1, 0.6, -1.0, 0.5], [1.3, 0.9, 0.0, 0.7], [0.0, 0.0, 0.0, 0.0]]])
    coords = torch.tensor([[0, 0, 5, 2]])
    f = augment_pillar_points(points, torch.tensor([2]), coords, RANGE, VOXEL)
    expected = torch.tensor(
        [
            [1.1, 0.6, -1.0, 0.5, -0.1, -0.15, -0.5, -0.15, -0.15, 0.0],
            [1.3, 0.9, 0.0, 0.7, 0.1, 0.15, 0.5, 0.05, 0.15, 1.0],
            [0.0] * 10,
        ]
    )
    torch.testing.assert_close(f[0], expected)
    no_abs = augment_pillar_points(points, torch.tensor([2]), coords, RANGE, VOXEL, use_absolute_xyz=False, with_distance=True)
    torch.testing.assert_close(no_abs[0, :, :7], expected[:, 3:])
    torch.testing.assert_close(no_abs[0, :2, 7], points[0, :2, :3].norm(dim=1))
    assert no_abs[0, 2].abs().sum() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_features_equal_a_per_pillar_loop(dtype):
    gen = torch.Generator().manual_seed(0)
    frames = [torch.rand(200, 4, generator=gen, dtype=dtype) * torch.tensor([4.0, 4.0, 4.0, 1.0], dtype=dtype) + torch.tensor([0.0, -2.0, -3.0, 0.0], dtype=dtype) for _ in range(2)]
    p = pillarize(batch_points(frames), RANGE, VOXEL, 6, 100)
    f = augment_pillar_points(p.points, p.num_points, p.coords, RANGE, VOXEL)
    assert f.dtype == dtype and f.shape == (len(p.coords), 6, 10)
    for i in range(len(p.coords)):
        n = int(p.num_points[i])
        real = p.points[i, :n]
        _, _, y, x = p.coords[i].tolist()
        centre = torch.tensor([x * 0.5 + 0.25, y * 0.5 - 2.0 + 0.25, -1.0], dtype=dtype)
        expected = torch.cat([real, real[:, :3] - real[:, :3].mean(0), real[:, :3] - centre], dim=1)
        torch.testing.assert_close(f[i, :n], expected)
        assert (f[i, n:] == 0).all()

import torch

from strl.detection.pointpillars import preset
from strl.detection.pointpillars.anchors import make_anchors


def test_kitti_anchor_grid_count_corners_and_order():
    cfg = preset("pointpillars-kitti")
    anchors, classes = make_anchors(cfg)
    assert anchors.shape == (248 * 216 * 6, 7) and classes.shape == (248 * 216 * 6,)
    grid = anchors.view(248, 216, 6, 7)
    car, ped, cyc = -1.78 + 1.56 / 2, -0.6 + 1.73 / 2, -0.6 + 1.73 / 2
    expected_first = torch.tensor(
        [
            [0.0, -39.68, car, 3.9, 1.6, 1.56, 0.0],
            [0.0, -39.68, car, 3.9, 1.6, 1.56, 1.57],
            [0.0, -39.68, ped, 0.8, 0.6, 1.73, 0.0],
            [0.0, -39.68, ped, 0.8, 0.6, 1.73, 1.57],
            [0.0, -39.68, cyc, 1.76, 0.6, 1.73, 0.0],
            [0.0, -39.68, cyc, 1.76, 0.6, 1.73, 1.57],
        ]
    )
    torch.testing.assert_close(grid[0, 0], expected_first)
    # align_center False: the positions include both range ends
    torch.testing.assert_close(grid[-1, -1, :, :2], torch.tensor([69.12, 39.68]).expand(6, 2))
    torch.testing.assert_close(grid[0, -1, 0, :2], torch.tensor([69.12, -39.68]))
    torch.testing.assert_close(grid[-1, 0, 0, :2], torch.tensor([0.0, 39.68]))
    torch.testing.assert_close(grid[0, 1, 0, 0], torch.tensor(69.12 / 215))
    torch.testing.assert_close(grid[1, 0, 0, 1], torch.tensor(-39.68 + 79.36 / 247))
    assert (grid[..., 2:] == grid[:1, :1, :, 2:]).all()  # the same boxes at every location
    assert classes.view(248, 216, 6)[5, 7].tolist() == [0, 0, 1, 1, 2, 2]


def test_anchor_centres_are_lifted_by_half_the_height():
    cfg = preset("pointpillars-kitti")
    anchors, classes = make_anchors(cfg, dtype=torch.float64)
    bottoms = torch.tensor([c.bottom_height for c in cfg.classes], dtype=torch.float64)[classes]
    torch.testing.assert_close(anchors[:, 2] - anchors[:, 5] / 2, bottoms)
    assert anchors.dtype == torch.float64

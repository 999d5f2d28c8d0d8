"""The metric LiDAR pipeline: views stay in metres, turn about z, and each step works on the whole batch."""

import math

import pytest
import torch

from strl.errors import DataError
from strl.transforms import AugmentConfig, augment, build_pipeline
from strl.transforms.config import LIDAR_ORDER
from strl.transforms.lidar import BoxDropout, Flip, RangeCrop, Resample

KITTI_RANGE = (0.0, -39.68, -3.0, 69.12, 39.68, 1.0)


def sweep(b, n, device, seed=0):
    """``(B, N, 3)`` street-sized clouds: x in [0, 60], y in [-30, 30], z in [-2, 1] metres."""
    g = torch.Generator().manual_seed(seed)
    xyz = torch.rand((b, n, 3), generator=g) * torch.tensor([60.0, 60.0, 3.0]) + torch.tensor([0.0, -30.0, -2.0])
    return xyz.to(device)


def gen(device, seed=1):
    return torch.Generator(device=device).manual_seed(seed)


def only(*steps, **changes):
    """The lidar pipeline with every step but ``steps`` (and the resample that sizes the output) disabled."""
    off = tuple(s for s in LIDAR_ORDER if s not in (*steps, "resample", "range_crop"))
    return AugmentConfig(pipeline="lidar", disabled=off, **changes)


def test_pipeline_steps_and_range_crop_only_with_a_range():
    assert build_pipeline(AugmentConfig(pipeline="lidar")).names == tuple(s for s in LIDAR_ORDER if s != "range_crop")
    assert build_pipeline(AugmentConfig(pipeline="lidar", lidar_range=KITTI_RANGE)).names == LIDAR_ORDER


def test_views_keep_metric_scale(device):
    x = sweep(6, 500, device)
    out = augment(x, AugmentConfig(num_points=400, pipeline="lidar", box_dropout_p=0.0), gen(device))
    # no normalisation: the extent stays street-sized, changed only by scale 0.95-1.05 and a 0.2 m shift
    radius_in, radius_out = x[..., :2].norm(dim=-1).amax(1), out[..., :2].norm(dim=-1).amax(1)
    assert (radius_out > 0.94 * radius_in - 1.5).all() and (radius_out < 1.06 * radius_in + 1.5).all()
    scaled = augment(x, only("world_scale", num_points=500), gen(device))  # a permutation of the scaled points
    ratio = scaled.norm(dim=-1).sort(dim=1).values / x.norm(dim=-1).sort(dim=1).values
    assert ((ratio - ratio[:, :1]).abs() < 1e-4).all() and (ratio > 0.95 - 1e-6).all() and (ratio < 1.05 + 1e-6).all()


def test_rotation_is_about_z_within_the_angle(device):
    x = sweep(16, 1, device)  # one point per cloud: the resample keeps it where it is
    out = augment(x, only("world_rotate", num_points=1), gen(device))
    torch.testing.assert_close(out[..., 2], x[..., 2])
    torch.testing.assert_close(out[..., :2].norm(dim=-1), x[..., :2].norm(dim=-1))
    turn = torch.atan2(out[:, 0, 1], out[:, 0, 0]) - torch.atan2(x[:, 0, 1], x[:, 0, 0])
    turn = torch.remainder(turn + math.pi, 2 * math.pi) - math.pi
    assert turn.abs().max() <= math.pi / 4 + 1e-5 and len({round(float(t), 4) for t in turn}) == 16


def test_flip_mirrors_y_for_about_half_the_samples(device):
    x = sweep(200, 1, device)
    out, _ = Flip(axis=1, p=0.5)(x, torch.ones(200, 1, dtype=torch.bool, device=device), gen(device))
    flipped = out[:, 0, 1] == -x[:, 0, 1]
    assert torch.equal(out[..., [0, 2]], x[..., [0, 2]]) and ((out[:, 0, 1] == x[:, 0, 1]) | flipped).all()
    assert 60 < int(flipped.sum()) < 140


def test_same_seed_same_views_other_seed_other_views(device):
    x = sweep(4, 600, device)
    cfg = AugmentConfig(num_points=256, pipeline="lidar", lidar_range=KITTI_RANGE, box_dropout_p=1.0)
    a, b, c = augment(x, cfg, gen(device, 5)), augment(x, cfg, gen(device, 5)), augment(x, cfg, gen(device, 6))
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_each_sample_is_augmented_independently_of_the_others(device):
    """One vectorised pass over the batch: changing a cloud changes only its own view."""
    x = sweep(3, 600, device)
    y = x.clone()
    y[1] = sweep(1, 600, device, seed=9)[0]
    cfg = AugmentConfig(num_points=256, pipeline="lidar", lidar_range=KITTI_RANGE, box_dropout_p=1.0)
    a, b = augment(x, cfg, gen(device)), augment(y, cfg, gen(device))
    assert torch.equal(a[[0, 2]], b[[0, 2]]) and not torch.allclose(a[1], b[1])


def test_range_crop_keeps_the_points_in_range_or_all_when_none_is(device):
    x = sweep(2, 300, device)
    x[0, :, 0] += 30.0  # the first cloud reaches past the range's 69.12 m
    x[1, :, 0] -= 100.0  # the second cloud lies behind the sensor, outside the range
    mask = torch.ones(2, 300, dtype=torch.bool, device=device)
    _, kept = RangeCrop(KITTI_RANGE)(x, mask, gen(device))
    inside = (x[0, :, 0] < 69.12) & (x[0, :, 1].abs() < 39.68) & (x[0, :, 2] >= -3) & (x[0, :, 2] < 1)
    assert torch.equal(kept[0], inside) and not inside.all() and kept[1].all()


def test_box_dropout_removes_one_vertical_box_around_a_point(device):
    x = sweep(4, 200, device)
    mask = torch.ones(4, 200, dtype=torch.bool, device=device)
    _, kept = BoxDropout(boxes=1, size=(10.0, 10.0), keep=0.5, p=1.0)(x, mask, gen(device))
    for b in range(4):
        gone = ~kept[b]
        assert gone.any()
        # some point of the cloud is the centre of a 10 x 10 m square (all heights) holding exactly the dropped points
        inside = ((x[b, :, None, :2] - x[b, None, :, :2]).abs() < 5.0).all(-1)  # (point, centre)
        assert (inside == gone[:, None]).all(0).any()


def test_box_dropout_leaves_a_sample_that_would_lose_too_much():
    x = torch.zeros(1, 100, 3)
    x[0, 90:, 0] = 50.0  # 90 % of the points at one spot, so most boxes would remove them all
    mask = torch.ones(1, 100, dtype=torch.bool)
    for seed in range(10):
        _, kept = BoxDropout(boxes=1, size=(1.0, 1.0), keep=0.5, p=1.0)(x, mask, gen("cpu", seed))
        assert int(kept.sum()) in (100, 90)  # the small cluster may go; the large one never


def test_resample_draws_a_subset_or_every_point_and_repeats(device):
    x = torch.arange(2 * 10 * 3, dtype=torch.float32, device=device).view(2, 10, 3)
    mask = torch.zeros(2, 10, dtype=torch.bool, device=device)
    mask[0, :8] = True
    mask[1, :3] = True
    out, out_mask = Resample(5)(x, mask, gen(device))
    assert out.shape == (2, 5, 3) and out_mask.all()
    rows0 = {tuple(p.tolist()) for p in out[0]}
    assert len(rows0) == 5 and rows0 <= {tuple(p.tolist()) for p in x[0, :8]}  # 5 of 8, no repeat
    rows1 = [tuple(p.tolist()) for p in out[1]]
    assert set(rows1) == {tuple(p.tolist()) for p in x[1, :3]}  # all 3, then repeats
    with pytest.raises(DataError, match="no point"):
        Resample(5)(x, torch.zeros_like(mask), gen(device))


def test_output_shape_with_fewer_points_than_the_view(device):
    out = augment(sweep(2, 50, device), AugmentConfig(num_points=128, pipeline="lidar", lidar_range=KITTI_RANGE),
                  gen(device))
    assert out.shape == (2, 128, 3) and torch.isfinite(out).all()

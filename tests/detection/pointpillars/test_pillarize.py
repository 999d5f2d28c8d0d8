import math

import torch

from strl.detection.pointpillars import batch_points, pillarize

RANGE = (0.0, -2.0, -3.0, 4.0, 2.0, 1.0)
VOXEL = (0.5, 0.5, 4.0)  # an 8 x 8 grid


def reference_pillars(points, max_points, max_pillars):
    """Plain loop over the points: {(frame, y, x): (first input row, [kept rows])}, first-met pillars per frame."""
    pillars, per_frame = {}, {}
    for row, (b, x, y, z, _) in enumerate(points.tolist()):
        cell = [math.floor((v - RANGE[i]) / VOXEL[i]) for i, v in enumerate((x, y, z))]
        if not (0 <= cell[0] < 8 and 0 <= cell[1] < 8 and cell[2] == 0):
            continue
        key = (int(b), cell[1], cell[0])
        if key not in pillars:
            if per_frame.get(int(b), 0) >= max_pillars:
                continue
            per_frame[int(b)] = per_frame.get(int(b), 0) + 1
            pillars[key] = (row, [])
        if len(pillars[key][1]) < max_points:
            pillars[key][1].append(row)
    return pillars


def cloud(n, seed, batch=2):
    gen = torch.Generator().manual_seed(seed)
    low = torch.tensor([-0.5, -2.5, -3.5, 0.0])
    extent = torch.tensor([5.0, 5.0, 5.0, 1.0])
    frames = [torch.rand(n, 4, generator=gen) * extent + low for _ in range(batch)]
    frames[0][:40, :2] = torch.tensor([1.1, 0.2])  # one crowded pillar (more than max_points)
    return batch_points(frames)


def assert_matches(p, points, ref):
    assert len(p.coords) == len(ref)
    for i, (b, z, y, x) in enumerate(p.coords.tolist()):
        assert z == 0
        _, rows = ref[(b, y, x)]
        assert p.num_points[i] == len(rows)
        torch.testing.assert_close(p.points[i, : len(rows)], points[rows, 1:], rtol=0, atol=0)
        assert (p.points[i, len(rows):] == 0).all()


def test_pillars_equal_a_plain_loop():
    points = cloud(300, seed=0)
    p = pillarize(points, RANGE, VOXEL, max_points=5, max_pillars=1000)
    ref = reference_pillars(points, 5, 1000)
    assert_matches(p, points, ref)
    assert p.batch_size == 2 and p.points.shape[1:] == (5, 4) and p.coords.dtype == torch.int64
    assert p.num_points.max() == 5  # the crowded pillar is cut to its first 5 points


def test_pillar_limit_keeps_the_pillars_met_first():
    points = cloud(300, seed=1)
    p = pillarize(points, RANGE, VOXEL, max_points=4, max_pillars=10)
    ref = reference_pillars(points, 4, 10)
    assert len(ref) == 20
    assert_matches(p, points, ref)


def test_pillar_limit_with_a_generator_is_a_seeded_random_subset():
    points = cloud(300, seed=2)
    full = reference_pillars(points, 4, 1000)
    draws = [pillarize(points, RANGE, VOXEL, 4, 10, generator=torch.Generator().manual_seed(s)) for s in (0, 0, 1)]
    for p in draws:
        assert (torch.bincount(p.coords[:, 0]) == 10).all()
        assert_matches(p, points, {key: full[key] for key in map(tuple, p.coords[:, [0, 2, 3]].tolist())})
    assert torch.equal(draws[0].coords, draws[1].coords)
    assert not torch.equal(draws[0].coords, draws[2].coords)
    first_met = pillarize(points, RANGE, VOXEL, 4, 10).coords
    assert not torch.equal(draws[0].coords, first_met)


def test_points_outside_the_grid_are_dropped_including_the_upper_bounds():
    points = torch.tensor(
        [
            [0, 0.0, -2.0, -3.0, 0.1],  # lower corner: inside
            [0, 4.0, 0.0, 0.0, 0.2],  # x = x_max: outside
            [0, 1.0, 2.0, 0.0, 0.3],  # y = y_max: outside
            [0, 1.0, 0.0, 1.0, 0.4],  # z = z_max: outside
            [0, 1.0, 0.0, -3.01, 0.5],  # below z_min: outside
            [0, 3.99, 1.99, 0.99, 0.6],  # upper corner cell: inside
            [0, float("nan"), 0.0, 0.0, 0.7],
        ]
    )
    p = pillarize(points, RANGE, VOXEL, 4, 10)
    assert p.coords.tolist() == [[0, 0, 0, 0], [0, 0, 7, 7]]
    torch.testing.assert_close(p.points[:, 0, 3], torch.tensor([0.1, 0.6]))


def test_empty_input_and_empty_frames():
    p = pillarize(torch.zeros(0, 5), RANGE, VOXEL, 4, 10, batch_size=3)
    assert p.points.shape == (0, 4, 4) and p.coords.shape == (0, 4) and p.batch_size == 3


def test_batch_points_from_tensor_and_list():
    a, b = torch.rand(3, 4), torch.rand(2, 4)
    listed = batch_points([a, b])
    assert listed[:, 0].tolist() == [0, 0, 0, 1, 1] and torch.equal(listed[:, 1:], torch.cat([a, b]))
    stacked = batch_points(torch.stack([a[:2], b]))
    assert stacked[:, 0].tolist() == [0, 0, 1, 1]

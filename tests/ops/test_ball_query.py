import pytest
import torch

from strl.ops.ball_query import ball_query, coordinate_square_distance
from strl.ops.reference import ball_query_loop


def clustered(gen, b, n):
    """Points in a few tight clusters plus sparse outliers, with some exact duplicates."""
    centres = torch.rand(b, 4, 3, generator=gen) * 4
    pick = torch.randint(0, 4, (b, n), generator=gen)
    x = centres.gather(1, pick[..., None].expand(b, n, 3)) + 0.15 * torch.randn(b, n, 3, generator=gen)
    x[:, ::9] = torch.rand(b, len(range(0, n, 9)), 3, generator=gen) * 6 - 1  # outliers
    x[:, 5] = x[:, 2]
    return x


@pytest.mark.parametrize("radius,nsample", [(0.1, 4), (0.3, 8), (0.6, 16), (2.0, 5)])
def test_matches_reference(gen, radius, nsample):
    x = clustered(gen, 2, 120)
    centres = torch.cat([x[:, :20], torch.full((2, 3, 3), 50.0)], dim=1)  # last 3: no neighbour
    assert torch.equal(ball_query(centres, x, radius, nsample), ball_query_loop(centres, x, radius, nsample))


def test_matches_reference_when_chunked(gen, small_chunks):
    x = clustered(gen, 2, 60)
    assert torch.equal(ball_query(x[:, :25], x, 0.4, 6), ball_query_loop(x[:, :25], x, 0.4, 6))


def test_padding_no_hit_and_strict_radius():
    x = torch.tensor([[[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.25, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.25, 0.0]]])
    centres = torch.tensor([[[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [9.0, 9.0, 9.0]]])
    idx = ball_query(centres, x, 0.5, 4)
    # (0.5, 0, 0) lies exactly on the radius: excluded (strict <). Rows are padded with the first hit.
    assert idx.tolist() == [[[0, 2, 4, 0], [3, 3, 3, 3], [0, 0, 0, 0]]]
    assert idx.dtype == torch.int64


def test_keeps_first_hits_in_index_order():
    x = torch.zeros(1, 10, 3)
    x[0, :, 0] = torch.tensor([5.0, 0.1, 0.0, 0.2, 5.0, 0.05, 0.3, 0.0, 0.1, 0.2])
    assert ball_query(x[:, 2:3], x, 1.0, 3).tolist() == [[[1, 2, 3]]]


def test_scene_size_runs_with_bounded_chunks(gen):
    x = torch.rand(1, 40_000, 3, generator=gen) * torch.tensor([8.0, 8.0, 3.0])
    idx = ball_query(x[:, :256], x, 0.2, 64)
    assert idx.shape == (1, 256, 64)
    d = coordinate_square_distance(x[:, :256], x)
    # every reported neighbour is inside the ball, and rows with >= 64 hits are full of distinct indices
    assert (d.gather(2, idx) < 0.04).all()
    full = (d < 0.04).sum(-1) >= 64
    assert all(len(set(row.tolist())) == 64 for row in idx[full])


def test_no_centres_and_bad_input():
    assert ball_query(torch.zeros(2, 0, 3), torch.rand(2, 5, 3), 0.1, 4).shape == (2, 0, 4)
    with pytest.raises(ValueError):
        ball_query(torch.zeros(2, 3, 2), torch.rand(2, 5, 3), 0.1, 4)
    with pytest.raises(ValueError):
        ball_query(torch.zeros(2, 3, 3), torch.rand(2, 5, 3), 0.1, 0)


def test_coordinate_square_distance_is_exact_on_integers(gen):
    a = torch.randint(-50, 50, (2, 7, 3), generator=gen).float()
    b = torch.randint(-50, 50, (2, 9, 3), generator=gen).float()
    expected = ((a[:, :, None] - b[:, None]) ** 2).sum(-1)
    assert torch.equal(coordinate_square_distance(a, b), expected)


def test_cuda_matches_cpu(gen, cuda_device):
    x = clustered(gen, 2, 3000)
    expected = ball_query(x[:, :500], x, 0.3, 32)
    assert torch.equal(ball_query(x[:, :500].to(cuda_device), x.to(cuda_device), 0.3, 32).cpu(), expected)

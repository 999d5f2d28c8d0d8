import pytest
import torch

from strl.ops.fps import furthest_point_sample, kernel_scan_order
from strl.ops.reference import furthest_point_sample_loop


def awkward_cloud(gen, b, n):
    """Random points plus near-origin points, exact duplicates and lattice ties."""
    x = torch.randn(b, n, 3, generator=gen)
    x[:, 1::5] *= 0.01  # squared norm far below 1e-3: never selected
    if n > 12:
        x[:, 9] = x[:, 4]  # exact duplicate
        x[:, 10:12] = torch.tensor([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])  # symmetric: equal distances
    return x


@pytest.mark.parametrize("n,m", [(1, 3), (4, 4), (7, 12), (37, 20), (130, 40), (600, 24)])
def test_matches_kernel_simulation(gen, n, m):
    x = awkward_cloud(gen, 2, n)
    assert torch.equal(furthest_point_sample(x, m), furthest_point_sample_loop(x, m))


@pytest.mark.parametrize("n", [9, 64, 515])
def test_lattice_ties_follow_block_reduction(gen, n):
    # Integer coordinates give many exactly equal distances, so tie-breaking decides the result.
    x = torch.randint(-2, 3, (2, n, 3), generator=gen).float()
    assert torch.equal(furthest_point_sample(x, 16), furthest_point_sample_loop(x, 16))


def test_starts_at_zero_and_is_farthest_first():
    x = torch.tensor([[[0.5, 0.0, 0.0], [0.6, 0.0, 0.0], [5.0, 0.0, 0.0], [2.0, 0.0, 0.0]]])
    assert furthest_point_sample(x, 4).tolist() == [[0, 2, 3, 1]]


def test_near_origin_points_are_never_selected_after_the_first():
    x = torch.tensor([[[0.0, 0.0, 0.0], [0.01, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.03, 0.0, 0.0]]])
    # Index 0 is always first even at the origin; 1 (|p|^2=1e-4) and 4 (9e-4) are skipped. Once
    # 2 and 3 are taken, the repeat is the first eligible point in the kernel's scan order
    # (4 threads: thread 2 is reduced before thread 3), i.e. 2, not the ineligible 0.
    assert furthest_point_sample(x, 5).tolist() == [[0, 3, 2, 2, 2]]


def test_threshold_is_inclusive():
    # |p|^2 slightly above 1e-3 is eligible, at or below is skipped.
    x = torch.tensor([[[1.0, 0.0, 0.0], [0.0316, 0.0, 0.0], [0.0317, 0.0, 0.0]]])
    assert furthest_point_sample(x, 3).tolist() == [[0, 2, 0]]


def test_all_points_near_origin_gives_zeros():
    x = torch.full((1, 50, 3), 1e-3)
    assert torch.equal(furthest_point_sample(x, 8), torch.zeros(1, 8, dtype=torch.long))


def test_fewer_points_than_samples_repeats_first_eligible():
    x = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 2.0]]])
    assert furthest_point_sample(x, 6).tolist() == [[0, 1, 2, 0, 0, 0]]


def test_distinct_when_enough_points(gen):
    x = torch.rand(3, 300, 3, generator=gen) + 0.1
    idx = furthest_point_sample(x, 100)
    assert idx.dtype == torch.int64 and idx.shape == (3, 100)
    assert all(len(set(row.tolist())) == 100 for row in idx)


def test_batch_items_are_independent(gen):
    x = awkward_cloud(gen, 3, 80)
    batched = furthest_point_sample(x, 20)
    for i in range(3):
        assert torch.equal(batched[i : i + 1], furthest_point_sample(x[i : i + 1], 20))


def test_distance_cap_of_original():
    # Distances above 1e10 are capped at the initial 1e10, so far points tie with the cap.
    x = torch.tensor([[[1.0, 0.0, 0.0], [2e5, 0.0, 0.0], [3e5, 0.0, 0.0], [4e5, 0.0, 0.0]]])
    assert torch.equal(furthest_point_sample(x, 4), furthest_point_sample_loop(x, 4))


def test_kernel_scan_order_is_a_permutation_starting_at_zero():
    for n in (1, 2, 3, 100, 1000):
        order = kernel_scan_order(n)
        assert order[0] == 0 and sorted(order.tolist()) == list(range(n))


def test_zero_samples_and_bad_input():
    assert furthest_point_sample(torch.rand(2, 5, 3), 0).shape == (2, 0)
    with pytest.raises(ValueError, match="shape"):
        furthest_point_sample(torch.rand(5, 3), 2)
    with pytest.raises(ValueError, match="empty"):
        furthest_point_sample(torch.rand(1, 0, 3), 2)


def test_cuda_matches_cpu(gen, cuda_device):
    x = awkward_cloud(gen, 2, 700)
    assert torch.equal(furthest_point_sample(x.to(cuda_device), 64).cpu(), furthest_point_sample(x, 64))


def test_tie_breaking_of_the_block_reduction():
    # Points 1 and 2 are equally far from point 0; the kernel's reduction prefers point 2.
    x = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 1.5]]])
    assert furthest_point_sample(x, 4).tolist() == [[0, 2, 1, 3]]


def test_caller_thread_count_is_restored():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        furthest_point_sample(torch.rand(1, 50, 3), 10)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

from itertools import combinations

import pytest
import torch

from strl.errors import DataError
from strl.transforms.resample import InputDropout, RandomSubset, Upsample, random_subsets


def cloud(b, n, device, seed=0):
    return torch.rand((b, n, 3), generator=torch.Generator().manual_seed(seed)).to(device)


def gen(device, seed=1):
    return torch.Generator(device=device).manual_seed(seed)


def brute_force_means(pts, k=10, size=5):
    """Every mean of ``size`` of the ``k`` nearest points (self included) of every point: (P, 3)."""
    d = torch.cdist(pts.double(), pts.double())
    nn = d.topk(k, dim=1, largest=False).indices
    subsets = torch.tensor(list(combinations(range(k), size)))
    return pts.double()[nn[:, subsets]].mean(dim=2).reshape(-1, 3)


@pytest.mark.parametrize("backend", ["tree", "brute"])
def test_new_points_are_means_of_five_of_ten_neighbours(device, backend):
    pts = cloud(2, 14, device)
    mask = torch.ones(2, 14, dtype=torch.bool, device=device)
    out, out_mask = Upsample(target=30, knn=backend)(pts, mask, gen(device))
    assert out.shape == (2, 30, 3) and out_mask.all()
    assert torch.equal(out[:, :14], pts)  # originals stay first
    for b in range(2):
        means = brute_force_means(pts[b].cpu())
        new = out[b, 14:].cpu().double()
        nearest = torch.cdist(new, means).amin(dim=1)
        assert nearest.max() < 1e-5


def test_masked_clouds_grow_to_the_target_from_valid_points_only(device):
    pts = cloud(3, 40, device)
    mask = torch.ones(3, 40, dtype=torch.bool, device=device)
    mask[0, 20:] = False  # 20 valid
    mask[1, ::2] = False  # 20 valid, scattered
    pts = torch.where(mask.unsqueeze(-1), pts, torch.full_like(pts, 100.0))  # far-away junk
    out, out_mask = Upsample(target=50, knn="auto")(pts, mask, gen(device))
    assert out.shape == (3, 70, 3)
    assert out_mask.sum(dim=1).tolist() == [50, 50, 50]
    assert torch.equal(out_mask[:, :40], mask)
    assert out[out_mask].abs().max() <= 1.0  # no junk was averaged in
    assert out_mask[2, 40:50].all() and not out_mask[2, 50:].any()


def test_no_growth_when_the_cloud_is_large_enough(device):
    pts = cloud(2, 64, device)
    mask = torch.ones(2, 64, dtype=torch.bool, device=device)
    out, out_mask = Upsample(target=64)(pts, mask, gen(device))
    assert out is pts and out_mask is mask
    # the scene pipeline grows only clouds below its threshold
    out, _ = Upsample(target=128, min_points=32)(pts, mask, gen(device))
    assert out is pts


def test_too_few_points_to_upsample(device):
    pts = cloud(1, 6, device)
    mask = torch.ones(1, 6, dtype=torch.bool, device=device)
    with pytest.raises(DataError, match="at least 10 points"):
        Upsample(target=12)(pts, mask, gen(device))


def test_random_subsets_are_uniform_subsets():
    s = random_subsets(torch.Generator().manual_seed(0), (20000,), 10, 5, "cpu")
    assert s.shape == (20000, 5)
    assert (s.sort(dim=1).values.diff(dim=1) > 0).all()  # distinct members
    counts = torch.bincount(s.flatten(), minlength=10).double() / 20000
    torch.testing.assert_close(counts, torch.full((10,), 0.5, dtype=torch.float64), atol=0.02, rtol=0)
    big = random_subsets(torch.Generator().manual_seed(0), (7,), 20, 10, "cpu")  # table too large
    assert big.shape == (7, 10) and (big.sort(dim=1).values.diff(dim=1) > 0).all()


def test_dropout_copies_the_first_valid_point(device):
    pts = cloud(64, 200, device)
    mask = torch.ones(64, 200, dtype=torch.bool, device=device)
    mask[:, :3] = False  # first valid point is index 3
    out, out_mask = InputDropout(0.875)(pts, mask, gen(device))
    assert torch.equal(out_mask, mask)
    changed = (out != pts).any(-1)
    assert not changed[:, :3].any()
    first = pts[:, 3:4].expand_as(pts)
    assert torch.equal(out[changed], first[changed])
    ratio = (out == first).all(-1)[:, 3:].float().mean(dim=1)
    assert ratio.max() <= 0.95 and ratio.mean() > 0.25  # mean ratio is 0.875 / 2
    assert torch.equal(InputDropout(p=0.0)(pts, mask, gen(device))[0], pts)


def test_subset_draws_distinct_valid_points(device):
    pts = cloud(8, 100, device)
    mask = torch.ones(8, 100, dtype=torch.bool, device=device)
    mask[:, 60:] = False
    out, out_mask = RandomSubset(40)(pts, mask, gen(device))
    assert out.shape == (8, 40, 3) and out_mask.all()
    for b in range(8):
        match = (out[b].unsqueeze(1) == pts[b].unsqueeze(0)).all(-1)  # (40, 100)
        source = match.float().argmax(dim=1)
        assert match.any(dim=1).all() and (source < 60).all()
        assert source.unique().numel() == 40
    assert not torch.equal(out[0], pts[0, :40])  # random, not the first ones


def test_subset_of_a_too_small_cloud(device):
    pts = cloud(2, 10, device)
    mask = torch.ones(2, 10, dtype=torch.bool, device=device)
    with pytest.raises(DataError, match="fewer than num_points=20"):
        RandomSubset(20)(pts, mask, gen(device))

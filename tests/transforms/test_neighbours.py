import pytest
import torch

from strl.transforms import neighbours
from strl.transforms.config import AugmentConfig
from strl.transforms.neighbours import nearest_valid, same_cloud_rows
from strl.transforms.resample import Upsample


def reference(points, mask, centre, k):
    """Brute force in float64, one cloud at a time."""
    out = []
    for b in range(points.shape[0]):
        d = torch.cdist(points[b, centre[b]].double(), points[b].double())
        d[:, ~mask[b]] = torch.inf
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.stack(out)


@pytest.mark.parametrize("backend", ["tree", "brute", "bucket"])
def test_matches_brute_force_on_masked_clouds(device, backend):
    g = torch.Generator().manual_seed(0)
    points = (torch.randn(4, 500, 3, generator=g) * torch.tensor([1.0, 0.2, 3.0])).to(device)
    points[1] += 50.0  # clouds far apart and at different places
    mask = (torch.rand(4, 500, generator=g) < 0.7).to(device)
    valid_idx = [torch.nonzero(mask[b]).flatten() for b in range(4)]
    centre = torch.stack([v[torch.randint(0, len(v), (300,), generator=g).to(device)] for v in valid_idx])
    needed = torch.ones(4, 300, dtype=torch.bool, device=device)
    needed[2, 100:] = False
    found = nearest_valid(points, mask, centre, needed, 10, backend)
    assert found.shape == (4, 300, 10) and found.device == points.device
    ref = reference(points.cpu(), mask.cpu(), centre.cpu(), 10).to(device)
    same = found.sort(dim=-1).values == ref.sort(dim=-1).values
    assert same[needed].all()
    assert (found[:, :, 0] == centre)[needed].all()  # each centre is its own nearest point
    assert (found[~needed] == centre[~needed].unsqueeze(-1)).all()


def reference_distances(points, mask, centre, k):
    """Sorted distances to the k nearest valid points, float64 explicit differences."""
    p = points.double().cpu()
    out = []
    for b in range(p.shape[0]):
        d = (p[b, centre[b].cpu()].unsqueeze(1) - p[b].unsqueeze(0)).norm(dim=-1)
        d[:, ~mask[b].cpu()] = torch.inf
        out.append(d.topk(k, dim=1, largest=False).values)
    return torch.stack(out)


def found_distances(points, centre, found):
    p = points.double().cpu()
    found, centre = found.cpu(), centre.cpu()
    at = torch.gather(p, 1, centre.unsqueeze(-1).expand(-1, -1, 3)).unsqueeze(2)
    near = torch.gather(p, 1, found.reshape(p.shape[0], -1, 1).expand(-1, -1, 3))
    return (near.view(*found.shape, 3) - at).norm(dim=-1).sort(dim=-1).values


def check_bucket(points, mask, k=10, queries=200, seed=0, needed_share=1.0):
    """The bucket backend against float64 brute force; returns how many rows were redone."""
    g = torch.Generator().manual_seed(seed)
    b = points.shape[0]
    valid_idx = [torch.nonzero(mask[i].cpu()).flatten() for i in range(b)]
    centre = torch.stack([v[torch.randint(0, len(v), (queries,), generator=g)] for v in valid_idx])
    needed = torch.rand(b, queries, generator=g) < needed_share
    centre, needed = centre.to(points.device), needed.to(points.device)
    found = nearest_valid(points, mask, centre, needed, k, "bucket")
    assert found.shape == (b, queries, k) and found.dtype == torch.int64
    assert found.device == points.device
    got = found_distances(points, centre, found)[needed.cpu()]
    want = reference_distances(points, mask, centre, k)[needed.cpu()]
    scale = want.abs().amax().clamp_min(1.0)
    assert torch.allclose(got, want, rtol=1e-5, atol=1e-5 * scale)  # ties may swap points
    assert torch.gather(mask, 1, found.view(b, -1)).view(found.shape)[needed].all()
    assert (found[~needed] == centre[~needed].unsqueeze(-1)).all()


def spread(g, b, n, scale):
    return torch.randn(b, n, 3, generator=g) * torch.tensor(scale)


LAYOUTS = {
    # noisy sphere surface: the case the backend is tuned for
    "sphere": lambda g: torch.nn.functional.normalize(spread(g, 3, 1500, [1.0] * 3), dim=-1)
    + 0.05 * spread(g, 3, 1500, [1.0] * 3),
    "plane": lambda g: spread(g, 3, 1000, [1.0, 2.0, 0.0]),
    "volume": lambda g: spread(g, 3, 1000, [1.0, 1.0, 1.0]),  # many results need the fallback
    "line": lambda g: spread(g, 2, 600, [5.0, 0.0, 0.0]),
    "far clusters": lambda g: (spread(g, 2, 20, [100.0] * 3).repeat_interleave(6, 1)
                               + spread(g, 2, 120, [0.01] * 3)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_bucket_equals_brute_force_on_layouts(device, layout):
    g = torch.Generator().manual_seed(3)
    points = LAYOUTS[layout](g).to(device)
    mask = torch.ones(points.shape[:2], dtype=torch.bool, device=device)
    check_bucket(points, mask, needed_share=0.8)


def test_bucket_masks_uneven_counts_and_small_clouds(device):
    g = torch.Generator().manual_seed(4)
    m = 1300  # not a power of two
    points = torch.rand(5, m, 3, generator=g)
    points[1] += 100.0
    mask = torch.zeros(5, m, dtype=torch.bool)
    mask[0] = torch.rand(m, generator=g) < 0.5  # scattered holes
    mask[1, :1000] = True
    mask[2, 300:1300] = True
    mask[3, :12] = True  # smaller than a pair of buckets
    mask[4, 7:17] = True  # exactly k valid points
    points[~mask] = 1e6  # junk in invalid slots must never be returned
    check_bucket(points.to(device), mask.to(device), queries=150)


def test_bucket_ties_and_duplicates_take_the_exact_fallback(device, monkeypatch):
    redone = []
    search_reach = neighbours._search_reach

    def spy(bk, bucket, q3, reach, k):
        redone.append(bucket.numel())
        return search_reach(bk, bucket, q3, reach, k)

    monkeypatch.setattr(neighbours, "_search_reach", spy)
    grid = torch.stack(torch.meshgrid(*[torch.arange(8.0)] * 3, indexing="ij"), -1).view(1, -1, 3)
    g = torch.Generator().manual_seed(5)
    twice = torch.rand(1, 256, 3, generator=g).repeat(1, 2, 1)  # every point twice
    for points in (grid, twice):
        mask = torch.ones(points.shape[:2], dtype=torch.bool)
        check_bucket(points.to(device), mask.to(device), queries=150)
    assert sum(redone) > 0


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_bucket_separates_distances_closer_than_its_key_precision(side):
    # the 10th and 11th neighbours differ by 1e-6 relative: below the precision of the keys
    ring = [[0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1],
            [0, 0.6, 0.8], [0, -0.6, 0.8], [0, 0.6, -0.8], [0, -0.6, -0.8]]
    far = [[side * 2.0, 0, 0], [-side * 2.0 * (1 + 1e-6), 0, 0]]
    points = torch.tensor([[0.0, 0, 0]] + ring + far).unsqueeze(0)
    one = torch.ones(1, 1, dtype=torch.bool)
    found = nearest_valid(points, torch.ones(1, 11, dtype=torch.bool), torch.zeros(1, 1).long(),
                          one, 10, "bucket")
    assert sorted(found.flatten().tolist()) == list(range(10))


def test_bucket_keeps_float64_precision_far_from_the_origin(device):
    g = torch.Generator().manual_seed(6)
    points = (torch.rand(2, 700, 3, generator=g, dtype=torch.float64) * 1e-3 + 1e4).to(device)
    mask = torch.ones(2, 700, dtype=torch.bool, device=device)
    check_bucket(points, mask)


@pytest.mark.parametrize("k", [1, 5, 31, 40])
def test_bucket_other_k(k):
    g = torch.Generator().manual_seed(7)
    points = torch.rand(2, 400, 3, generator=g)
    check_bucket(points, torch.ones(2, 400, dtype=torch.bool), k=k, queries=100)


def test_bucket_nothing_needed_returns_the_centres():
    centre = torch.randint(0, 50, (2, 30))
    found = nearest_valid(torch.rand(2, 50, 3), torch.ones(2, 50, dtype=torch.bool), centre,
                          torch.zeros(2, 30, dtype=torch.bool), 4, "bucket")
    assert torch.equal(found, centre.unsqueeze(-1).expand(-1, -1, 4))


def test_upsample_with_bucket_backend_matches_tree():
    cfg = AugmentConfig(num_points=64, upsample_knn="bucket")
    points = torch.rand(3, 40, 3, generator=torch.Generator().manual_seed(8))
    mask = torch.ones(3, 40, dtype=torch.bool)
    grown = {}
    for knn in ("bucket", "tree"):
        step = Upsample(cfg.num_points, k=cfg.upsample_k, knn=knn)
        grown[knn] = step(points, mask, torch.Generator().manual_seed(9))
    assert grown["bucket"][0].shape == (3, 64, 3) and grown["bucket"][1].all()
    assert torch.allclose(grown["bucket"][0], grown["tree"][0], atol=1e-6)


def test_unknown_backend():
    x = torch.zeros(1, 10, 3)
    with pytest.raises(ValueError, match="backend"):
        nearest_valid(x, torch.ones(1, 10, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.long),
                      torch.ones(1, 1, dtype=torch.bool), 2, "faiss")


def test_same_cloud_rows():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 50, 3, generator=g)
    c = a.clone()
    c[7, 1] += 1e-3
    points = torch.stack([a, b, a, c, b, a])
    mask = torch.ones(6, 50, dtype=torch.bool)
    assert same_cloud_rows(points, mask).tolist() == [0, 1, 0, 3, 1, 0]
    mask[5, 3] = False  # a different cloud now
    assert same_cloud_rows(points, mask).tolist() == [0, 1, 0, 3, 1, 5]
    points[1, 9] = 99.0  # junk in an invalid slot does not matter
    mask[[1, 4], 9] = False
    assert same_cloud_rows(points, mask).tolist() == [0, 1, 0, 3, 1, 5]


def test_repeated_clouds_share_one_search():
    g = torch.Generator().manual_seed(1)
    cloud = torch.rand(1, 400, 3, generator=g)
    points = torch.cat([cloud, cloud, cloud + 5.0])
    mask = torch.ones(3, 400, dtype=torch.bool)
    centre = torch.randint(0, 400, (3, 200), generator=g)
    found = nearest_valid(points, mask, centre, torch.ones(3, 200, dtype=torch.bool), 10, "tree")
    ref = reference(points, mask, centre, 10)
    assert torch.equal(found.sort(dim=-1).values, ref.sort(dim=-1).values)

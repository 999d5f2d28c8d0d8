import pytest
import torch

from strl.transforms.neighbours import nearest_valid, same_cloud_rows


def reference(points, mask, centre, k):
    """Brute force in float64, one cloud at a time."""
    out = []
    for b in range(points.shape[0]):
        d = torch.cdist(points[b, centre[b]].double(), points[b].double())
        d[:, ~mask[b]] = torch.inf
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.stack(out)


@pytest.mark.parametrize("backend", ["tree", "brute"])
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


@pytest.fixture(params=["pykdtree", "scipy"])
def tree_library(request, monkeypatch):
    import strl.transforms.neighbours as neighbours

    if request.param == "pykdtree":
        pytest.importorskip("pykdtree")
    else:
        monkeypatch.setattr(neighbours, "_FastKDTree", None)
    return request.param


def test_both_tree_libraries_give_the_exact_neighbours(tree_library):
    g = torch.Generator().manual_seed(2)
    points = torch.randn(3, 300, 3, generator=g)
    mask = torch.rand(3, 300, generator=g) < 0.8
    mask[0] = True  # one cloud without invalid slots
    valid_idx = [torch.nonzero(mask[b]).flatten() for b in range(3)]
    centre = torch.stack([v[torch.randint(0, len(v), (120,), generator=g)] for v in valid_idx])
    needed = torch.rand(3, 120, generator=g) < 0.9
    found = nearest_valid(points, mask, centre, needed, 7, "tree")
    assert found.dtype == torch.int64 and found.shape == (3, 120, 7)
    ref = reference(points, mask, centre, 7)
    assert (found.sort(dim=-1).values == ref.sort(dim=-1).values)[needed].all()
    assert (found[~needed] == centre[~needed].unsqueeze(-1)).all()


def test_kd_tree_query_shapes_and_thread_limit(tree_library):
    from strl.transforms.neighbours import _tree_threads, kd_tree_query

    data = torch.rand(50, 3).numpy()
    one = kd_tree_query(data, data[:5], 1)
    assert one.shape == (5, 1) and one.dtype == torch.int64
    assert one[:, 0].tolist() == [0, 1, 2, 3, 4]
    threads = torch.get_num_threads()
    with _tree_threads():
        assert torch.get_num_threads() == threads
    assert torch.get_num_threads() == threads


def test_tree_search_far_from_the_origin_in_float32(tree_library):
    g = torch.Generator().manual_seed(5)
    points = (torch.randn(2, 400, 3, generator=g) + 1.0e4).float()
    mask = torch.ones(2, 400, dtype=torch.bool)
    centre = torch.randint(0, 400, (2, 150), generator=g)
    needed = torch.ones(2, 150, dtype=torch.bool)
    found = nearest_valid(points, mask, centre, needed, 8, "tree")
    ref = reference(points, mask, centre, 8)
    assert torch.equal(found.sort(dim=-1).values, ref.sort(dim=-1).values)

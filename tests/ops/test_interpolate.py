import torch
from torch.autograd import gradcheck

from strl.ops.interpolate import inverse_distance_weights, three_interpolate, three_nn
from strl.ops.reference import three_interpolate_loop, three_nn_loop


def assert_same_nn(unknown, known):
    dist, idx = three_nn(unknown, known)
    ref_dist, ref_idx = three_nn_loop(unknown, known)
    assert idx.dtype == torch.int64 and dist.dtype == torch.float32
    assert torch.equal(idx, ref_idx)
    torch.testing.assert_close(dist, ref_dist, rtol=1e-6, atol=0)  # sqrt may differ by one ulp


def test_matches_reference_on_random_points(gen):
    known = torch.rand(2, 30, 3, generator=gen)
    known[:, 7] = known[:, 3]  # duplicate: equal distances keep index order
    assert_same_nn(torch.rand(2, 25, 3, generator=gen), known)


def test_ties_keep_index_order(gen):
    known = torch.randint(0, 3, (2, 40, 3), generator=gen).float()
    assert_same_nn(torch.randint(0, 3, (2, 20, 3), generator=gen).float(), known)
    dist, idx = three_nn(torch.zeros(1, 1, 3), torch.tensor([[[1.0, 0, 0], [0, 1.0, 0], [2.0, 0, 0], [0, 0, 1.0]]]))
    assert idx.tolist() == [[[0, 1, 3]]] and dist.tolist() == [[[1.0, 1.0, 1.0]]]


def test_fewer_than_three_known_points():
    dist, idx = three_nn(torch.zeros(1, 2, 3), torch.tensor([[[3.0, 4.0, 0.0], [0.0, 1.0, 0.0]]]))
    assert idx.tolist() == [[[1, 0, 0], [1, 0, 0]]]
    assert dist[0, 0].tolist() == [1.0, 5.0, float("inf")]
    weights = inverse_distance_weights(dist)
    assert weights[0, 0, 2] == 0 and torch.allclose(weights.sum(-1), torch.ones(1, 2))
    assert_same_nn(torch.rand(1, 4, 3), torch.rand(1, 1, 3))


def test_chunked_matches_reference(gen, small_chunks):
    assert_same_nn(torch.rand(2, 17, 3, generator=gen), torch.rand(2, 9, 3, generator=gen))


def test_scene_size(gen):
    unknown = torch.rand(1, 40_000, 3, generator=gen)
    known = unknown[:, :256]
    dist, idx = three_nn(unknown, known)
    assert dist.shape == idx.shape == (1, 40_000, 3)
    assert torch.equal(idx[0, :256, 0], torch.arange(256)) and (dist[0, :256, 0] == 0).all()
    assert (dist[..., :-1] <= dist[..., 1:]).all()


def test_inverse_distance_weights():
    w = inverse_distance_weights(torch.tensor([[[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]]]))
    torch.testing.assert_close(w[0, 0], torch.tensor([4.0, 2.0, 1.0]) / 7)
    assert w[0, 1, 0] > 0.999999  # a coincident point takes (almost) all the weight


def test_three_interpolate_matches_loop(gen):
    feats = torch.randn(2, 4, 6, generator=gen)
    idx = torch.randint(0, 6, (2, 5, 3), generator=gen)
    weight = torch.rand(2, 5, 3, generator=gen)
    out = three_interpolate(feats, idx, weight)
    assert out.shape == (2, 4, 5)
    assert torch.equal(out, three_interpolate_loop(feats, idx, weight))


def test_three_interpolate_gradients(gen):
    feats = torch.randn(2, 3, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    idx = torch.tensor([[[0, 0, 4], [1, 2, 3]], [[4, 4, 4], [0, 1, 2]]])
    weight = torch.rand(2, 2, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    assert gradcheck(three_interpolate, (feats, idx, weight))


def test_three_nn_is_not_differentiable(gen):
    unknown = torch.rand(1, 5, 3, generator=gen, requires_grad=True)
    dist, _ = three_nn(unknown, torch.rand(1, 4, 3, generator=gen))
    assert not dist.requires_grad


def test_cuda_matches_cpu(gen, cuda_device):
    unknown, known = torch.rand(2, 3000, 3, generator=gen), torch.rand(2, 500, 3, generator=gen)
    dist, idx = three_nn(unknown, known)
    dist_c, idx_c = three_nn(unknown.to(cuda_device), known.to(cuda_device))
    assert torch.equal(idx_c.cpu(), idx)
    torch.testing.assert_close(dist_c.cpu(), dist, rtol=1e-6, atol=0)
    feats = torch.randn(2, 8, 500, generator=gen)
    w = inverse_distance_weights(dist)
    out = three_interpolate(feats.to(cuda_device), idx.to(cuda_device), w.to(cuda_device))
    torch.testing.assert_close(out.cpu(), three_interpolate(feats, idx, w))

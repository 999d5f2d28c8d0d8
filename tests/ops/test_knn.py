import torch

from strl.backbones.edgeconv import graph_feature
from strl.ops.knn import gather_neighbours, knn


def brute_force_knn(x, k):
    """Loop reference: for each point sort all distances."""
    b, n, _ = x.shape
    out = torch.empty(b, n, k, dtype=torch.long)
    for bi in range(b):
        for i in range(n):
            d = ((x[bi] - x[bi, i]) ** 2).sum(-1).double()
            out[bi, i] = torch.argsort(d, stable=True)[:k]
    return out


def test_knn_matches_brute_force_for_dgcnn_first_layer():
    torch.manual_seed(0)
    x = torch.randn(2, 300, 3)  # (B, N, 3); the encoder sees it as (B, 3, N)
    idx = knn(x, 40, chunk=64)
    ref = brute_force_knn(x, 40)
    assert torch.equal(idx, ref)
    assert torch.equal(idx[..., 0], torch.arange(300).expand(2, -1))  # each point is its own first neighbour


def test_knn_with_separate_reference_and_gather():
    torch.manual_seed(1)
    ref = torch.randn(1, 50, 3)
    query = ref[:, :5] + 1e-4
    idx = knn(query, 3, ref=ref)
    assert torch.equal(idx[0, :, 0], torch.arange(5))
    nbrs = gather_neighbours(ref, idx)
    assert nbrs.shape == (1, 5, 3, 3)
    assert torch.equal(nbrs[0, 2, 1], ref[0, idx[0, 2, 1]])


def test_graph_feature_is_difference_and_centre():
    torch.manual_seed(2)
    x = torch.randn(1, 4, 20)  # (B, C, N)
    feat = graph_feature(x, k=5)
    assert feat.shape == (1, 8, 20, 5)
    idx = knn(x.transpose(1, 2), 5)
    j = idx[0, 7, 3]
    torch.testing.assert_close(feat[0, :4, 7, 3], x[0, :, j] - x[0, :, 7])
    torch.testing.assert_close(feat[0, 4:, 7, 3], x[0, :, 7])


def test_knn_is_exact_far_from_the_origin():
    torch.manual_seed(3)
    shifted = torch.rand(1, 200, 3) * 0.01 + 50.0
    assert torch.equal(knn(shifted, 10), brute_force_knn(shifted.double(), 10))

import torch
from torch.autograd import gradcheck

from strl.ops.grouping import gather_points, group_points, query_and_group
from strl.ops.reference import gather_points_loop, group_points_loop, query_and_group_loop


def test_gather_points_matches_loop(gen):
    feats = torch.randn(2, 5, 11, generator=gen)
    idx = torch.randint(0, 11, (2, 7), generator=gen)
    out = gather_points(feats, idx)
    assert out.shape == (2, 5, 7)
    assert torch.equal(out, gather_points_loop(feats, idx))


def test_group_points_matches_loop(gen):
    feats = torch.randn(2, 4, 9, generator=gen)
    idx = torch.randint(0, 9, (2, 6, 3), generator=gen)
    out = group_points(feats, idx)
    assert out.shape == (2, 4, 6, 3)
    assert torch.equal(out, group_points_loop(feats, idx))


def test_int32_indices_are_accepted(gen):
    feats = torch.randn(1, 3, 6, generator=gen)
    idx = torch.tensor([[[5, 0], [2, 2]]], dtype=torch.int32)
    assert torch.equal(group_points(feats, idx), group_points(feats, idx.long()))


def test_gradients_are_scatter_adds(gen):
    feats = torch.randn(2, 3, 6, dtype=torch.float64, generator=gen, requires_grad=True)
    idx = torch.tensor([[0, 0, 5, 2], [1, 3, 3, 3]])  # repeated indices accumulate
    assert gradcheck(gather_points, (feats, idx))
    groups = torch.tensor([[[0, 0, 1], [5, 5, 5]], [[2, 4, 2], [0, 1, 3]]])
    assert gradcheck(group_points, (feats, groups))
    group_points(feats, groups).sum().backward()
    assert feats.grad[0, 0].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0, 3.0]


def test_query_and_group_matches_loop(gen):
    xyz = torch.rand(2, 40, 3, generator=gen)
    centres = torch.cat([xyz[:, :6], torch.full((2, 1, 3), 9.0)], dim=1)  # last centre: empty ball
    feats = torch.randn(2, 4, 40, generator=gen)
    out = query_and_group(xyz, centres, feats, 0.3, 5)
    assert out.shape == (2, 7, 7, 5)
    torch.testing.assert_close(out, query_and_group_loop(xyz, centres, feats, 0.3, 5), rtol=1e-6, atol=1e-6)
    xyz_only = query_and_group(xyz, centres, None, 0.3, 5)
    assert torch.equal(xyz_only, out[:, :3])
    # offsets are relative to the centre and divided by the radius
    assert (out[:, :3, :6].norm(dim=1) < 1.0 + 1e-6).all()
    assert torch.equal(query_and_group(xyz, centres, None, 0.3, 5, normalize_xyz=False) / 0.3, xyz_only)

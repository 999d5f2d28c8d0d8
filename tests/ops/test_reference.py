"""Hand-worked cases that pin the loop references to the original kernels' behaviour."""

import torch

from strl.ops import reference as ref

# From point 0, points 1 and 2 are equally far (distance^2 = 1) and point 3 is close.
TIE = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 1.5]]])


def test_fps_tie_goes_to_the_thread_reduced_first():
    # 4 threads, one point each; the reduction compares (t0, t2) and (t1, t3) first, then keeps
    # slot 0 (holding point 2) on the tie with slot 1 (point 1): 2 is taken before 1.
    assert ref.furthest_point_sample_loop(TIE, 4).tolist() == [[0, 2, 1, 3]]


def test_fps_skips_near_origin_and_repeats():
    x = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.01, 0.0], [-1.0, 0.0, 0.0]]])
    assert ref.furthest_point_sample_loop(x, 5).tolist() == [[0, 2, 0, 0, 0]]


def test_ball_query_loop_by_hand():
    x = torch.tensor([[[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.1, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    centres = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [5.0, 5.0, 5.0]]])
    assert ref.ball_query_loop(centres, x, 1.0, 3).tolist() == [[[1, 1, 1], [0, 2, 0], [0, 0, 0]]]


def test_three_nn_loop_by_hand():
    dist, idx = ref.three_nn_loop(TIE[:, :1], TIE)
    assert idx.tolist() == [[[0, 3, 1]]] and dist.tolist() == [[[0.0, 0.5, 1.0]]]


def test_three_interpolate_loop_by_hand():
    feats = torch.tensor([[[1.0, 10.0, 100.0]]])
    out = ref.three_interpolate_loop(feats, torch.tensor([[[2, 0, 0]]]), torch.tensor([[[0.5, 0.25, 0.25]]]))
    assert out.tolist() == [[[50.5]]]

import pytest
import torch

from strl.detection.votenet.vote_targets import instance_vote_targets, votes_for_centers


def test_votes_for_given_centres():
    points = torch.tensor([[0.0, 0, 0], [1, 1, 1], [2, 0, 0], [5, 5, 5]])
    instance = torch.tensor([7, 7, 3, -1])
    centers = torch.tensor([[2.0, 1, 0], [0.5, 0.5, 0.5]])  # of instances 3 and 7
    offsets, mask = instance_vote_targets(points, instance, torch.tensor([3, 7]), centers)
    assert mask.tolist() == [True, True, True, False]
    expected = torch.tensor([[0.5, 0.5, 0.5], [-0.5, -0.5, -0.5], [0.0, 1, 0], [0, 0, 0]])
    assert torch.equal(offsets, expected.repeat(1, 3))


def test_votenet_scannet_rule_uses_the_middle_of_the_instance_bounds():
    points = torch.tensor([[0.0, 0, 0], [2, 4, 1], [1, 0, 0], [9, 9, 9], [8, 8, 8]])
    instance = torch.tensor([1, 1, 1, 2, 5])
    offsets, mask = instance_vote_targets(points, instance, torch.tensor([1, 2]))
    assert mask.tolist() == [True, True, True, True, False]
    centre = torch.tensor([1.0, 2.0, 0.5])
    torch.testing.assert_close(offsets[:3, :3], centre - points[:3])
    assert torch.equal(offsets[3], torch.zeros(9))  # a one-point instance votes for itself
    assert torch.equal(offsets[:, 3:6], offsets[:, :3]) and torch.equal(offsets[:, 6:], offsets[:, :3])


def test_no_objects_and_bad_ids():
    points = torch.rand(4, 3)
    offsets, mask = instance_vote_targets(points, torch.zeros(4, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    assert not mask.any() and torch.equal(offsets, torch.zeros(4, 9))
    with pytest.raises(ValueError, match="distinct"):
        instance_vote_targets(points, torch.zeros(4, dtype=torch.long), torch.tensor([1, 1]))
    offsets, mask = votes_for_centers(points, torch.tensor([-1, 0, -1, 0]), torch.ones(1, 3))
    assert mask.tolist() == [False, True, False, True]
    torch.testing.assert_close(offsets[1, :3], 1 - points[1])


def test_box_votes_follow_votenets_sunrgbd_order():
    from strl.detection.votenet.vote_targets import box_vote_targets

    boxes = torch.tensor([
        [0.0, 0, 0, 2, 2, 2, 0],
        [0.5, 0, 0, 2, 2, 2, 0.3],
        [0.0, 0.5, 0, 2, 2, 2, 0],
        [0.0, 0, 0.5, 2, 2, 2, 0],
        [9.0, 9, 9, 1, 1, 1, 0],
    ])
    points = torch.tensor([[0.0, 0, 0], [-0.9, 0, 0], [1.4, 0, 0], [5, 5, 5], [0, 1.4, 0.1]])
    offsets, mask = box_vote_targets(points, boxes)
    assert mask.tolist() == [True, True, True, False, True]
    c = boxes[:, :3]
    # point 0 is in boxes 0-3: votes for 0, 1 and the last one, 3
    assert torch.equal(offsets[0], torch.cat([c[0], c[1], c[3]]) - points[0].repeat(3))
    # point 1 is in boxes 0, 2, 3 (box 1 is shifted away)
    assert torch.equal(offsets[1], torch.cat([c[0], c[2], c[3]]) - points[1].repeat(3))
    # point 2 only in box 1: its vote repeated
    assert torch.equal(offsets[2], (c[1] - points[2]).repeat(3))
    assert torch.equal(offsets[3], torch.zeros(9))
    # point 4 is only in box 2 (y 1.4 is outside boxes 0, 1 and 3)
    assert torch.equal(offsets[4], (c[2] - points[4]).repeat(3))
    offsets, mask = box_vote_targets(points, boxes[:0])
    assert not mask.any() and offsets.shape == (5, 9)

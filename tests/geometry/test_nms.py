import math

import pytest
import torch

from strl.geometry import nms
from strl.geometry.nms import OVERLAPS, overlap_matrix

F64 = torch.float64


def box7(*rows):
    return torch.tensor(rows, dtype=F64).reshape(-1, 7)


def greedy_loop(iou, scores, threshold, classes=None):
    """Plain greedy NMS over a precomputed overlap matrix, one box at a time (py-faster-rcnn style)."""
    iou, scores = iou.tolist(), scores.tolist()
    classes = None if classes is None else classes.tolist()
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept, removed = [], set()
    for pos, i in enumerate(order):
        if i in removed:
            continue
        kept.append(i)
        for j in order[pos + 1 :]:
            same = classes is None or classes[i] == classes[j]
            if same and iou[i][j] > threshold:
                removed.add(j)
    return kept


# two long thin boxes crossing as an X, both turned by 45 degrees: their axis-aligned bounds are
# the same square, their rotated overlap is small
CROSS = box7([0, 0, 0, 4, 0.5, 1, math.pi / 4], [0, 0, 0, 4, 0.5, 1, -math.pi / 4])
# the same footprint twice, one above the other
STACK = box7([0, 0, 0, 2, 1, 1, 0.3], [0, 0, 1, 2, 1, 1, 0.3])


@pytest.mark.parametrize(
    "boxes,overlap,expected",
    [
        (CROSS, "bev", [0, 1]),
        (CROSS, "3d", [0, 1]),
        (CROSS, "aabb_bev", [0]),
        (CROSS, "aabb_3d", [0]),
        (STACK, "bev", [0]),
        (STACK, "aabb_bev", [0]),
        (STACK, "3d", [0, 1]),
        (STACK, "aabb_3d", [0, 1]),
    ],
)
def test_each_mode_on_hand_made_boxes(boxes, overlap, expected):
    scores = torch.tensor([0.9, 0.8])
    assert nms(boxes, scores, 0.25, overlap=overlap).tolist() == expected


def test_strict_threshold_order_and_chain():
    # along x: [0,3], [1,4] have IoU exactly 1/2; [2,5] overlaps [1,4] (IoU 1/2) and [0,3] (IoU 1/5)
    boxes = box7([2.5, 0, 0, 3, 1, 1, 0], [1.5, 0, 0, 3, 1, 1, 0], [3.5, 0, 0, 3, 1, 1, 0], [20, 0, 0, 1, 1, 1, 0])
    scores = torch.tensor([0.5, 0.9, 0.1, 0.7])
    for overlap in OVERLAPS:
        # 1 is best and drops 0 (IoU 1/2 > 0.4); 2 overlaps only the dropped 0 by more than 0.4
        assert nms(boxes, scores, 0.4, overlap=overlap).tolist() == [1, 3, 2]
        assert nms(boxes, scores, 0.5, overlap=overlap).tolist() == [1, 3, 0, 2]  # 1/2 is not > 1/2
        assert nms(boxes, scores, 0.1, overlap=overlap).tolist() == [1, 3]
        assert nms(boxes, scores, 0.4, overlap=overlap, max_keep=2).tolist() == [1, 3]


def test_ties_keep_the_lower_index():
    boxes = box7([0, 0, 0, 1, 1, 1, 0], [0.1, 0, 0, 1, 1, 1, 0], [5, 0, 0, 1, 1, 1, 0])
    scores = torch.tensor([0.5, 0.5, 0.5])
    assert nms(boxes, scores, 0.25).tolist() == [0, 2]
    assert nms(boxes[[1, 0, 2]], scores, 0.25).tolist() == [0, 2]


def test_class_aware_suppression():
    boxes = box7([0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1, 0], [0.05, 0, 0, 1, 1, 1, 0])
    scores = torch.tensor([0.9, 0.8, 0.7])
    classes = torch.tensor([3, 4, 3])
    for overlap in OVERLAPS:
        assert nms(boxes, scores, 0.25, overlap=overlap).tolist() == [0]
        assert nms(boxes, scores, 0.25, overlap=overlap, classes=classes).tolist() == [0, 1]


def test_empty_and_unknown_mode():
    out = nms(torch.zeros(0, 7), torch.zeros(0), 0.5)
    assert out.dtype == torch.int64 and out.shape == (0,)
    with pytest.raises(ValueError, match="aabb_bev"):
        nms(box7([0, 0, 0, 1, 1, 1, 0]), torch.ones(1), 0.5, overlap="rotated")


@pytest.mark.parametrize("overlap", OVERLAPS)
def test_equals_a_plain_greedy_loop_on_random_boxes(overlap):
    gen = torch.Generator().manual_seed(8)
    k = 120
    centre = torch.rand(k, 3, generator=gen, dtype=F64) * torch.tensor([6.0, 6.0, 1.0], dtype=F64)
    size = torch.rand(k, 3, generator=gen, dtype=F64) * 1.5 + 0.5
    heading = torch.rand(k, 1, generator=gen, dtype=F64) * 2 * math.pi
    boxes = torch.cat([centre, size, heading], 1)
    scores = torch.randint(0, 30, (k,), generator=gen).float()  # many ties
    classes = torch.randint(0, 3, (k,), generator=gen)
    iou = overlap_matrix(boxes, overlap)
    for threshold in (0.1, 0.25, 0.5):
        kept = nms(boxes, scores, threshold, overlap=overlap)
        assert kept.tolist() == greedy_loop(iou, scores, threshold)
        assert 1 < len(kept) < k
        by_class = nms(boxes, scores, threshold, overlap=overlap, classes=classes)
        assert by_class.tolist() == greedy_loop(iou, scores, threshold, classes)

import math

import torch

from pointpillars_helpers import tiny_config
from strl.detection.pointpillars.anchors import make_anchors
from strl.detection.pointpillars.box_coder import encode_boxes
from strl.detection.pointpillars.targets import assign_targets, nearest_bev_aabb, nearest_bev_iou

CAR, PED, CYC = 0, 1, 2
MATCHED = torch.tensor([0.6, 0.5, 0.5])
UNMATCHED = torch.tensor([0.45, 0.35, 0.35])


def box(x, y, size, heading=0.0):
    return [x, y, -1.0, *size, heading]


CAR_SIZE, PED_SIZE, CYC_SIZE = (3.9, 1.6, 1.56), (0.8, 0.6, 1.73), (1.76, 0.6, 1.73)
ANCHORS = torch.tensor(
    [
        box(0.0, 0.0, CAR_SIZE),  # 0: exactly the car: IoU 1 -> positive
        box(0.0, 0.0, CAR_SIZE, 1.57),  # 1: turned (nearest BEV 1.6 x 3.9): IoU 2.56 / 9.92 = 0.26 -> negative
        box(0.8, 0.0, CAR_SIZE),  # 2: IoU 4.96 / 7.52 = 0.66 -> positive
        box(1.2, 0.0, CAR_SIZE),  # 3: IoU 4.32 / 8.16 = 0.53 -> ignored
        box(2.0, 0.0, CAR_SIZE),  # 4: IoU 3.04 / 9.44 = 0.32 -> negative
        box(0.0, 0.0, PED_SIZE),  # 5: a pedestrian anchor on the car -> negative (other class)
        box(30.0, 30.0, CAR_SIZE),  # 6: far -> negative
        box(10.5, 0.0, PED_SIZE),  # 7: IoU 0.18 / 0.78 = 0.23 with the pedestrian, its best anchor -> positive
        box(11.0, 0.0, PED_SIZE),  # 8: no overlap -> negative
        box(0.0, 0.0, CYC_SIZE),  # 9: the cyclist overlaps no cyclist anchor -> negative
    ]
)
ANCHOR_CLASSES = torch.tensor([CAR, CAR, CAR, CAR, CAR, PED, CAR, PED, PED, CYC])


def test_nearest_bev_boxes_swap_sizes_past_45_degrees():
    boxes = torch.tensor([box(0, 0, (4.0, 2.0, 1.0), h) for h in (0.0, 3.0, 1.0, -2.0, math.pi / 4 - 0.01, math.pi / 4 + 0.01)])
    widths = nearest_bev_aabb(boxes)[:, 2] - nearest_bev_aabb(boxes)[:, 0]
    torch.testing.assert_close(widths, torch.tensor([4.0, 4.0, 2.0, 2.0, 4.0, 2.0]))
    iou = nearest_bev_iou(boxes[:1], torch.tensor([box(1.0, 0.0, (4.0, 2.0, 1.0))]))
    torch.testing.assert_close(iou, torch.tensor([[6.0 / 10.0]]))


def test_hand_made_assignment():
    gt = torch.tensor([[box(0.0, 0.0, CAR_SIZE), box(10.0, 0.0, PED_SIZE), box(50.0, 50.0, CYC_SIZE)], [[0.0] * 7] * 3])
    gt_classes = torch.tensor([[CAR, PED, CYC], [-1, -1, -1]])  # frame 1: padding only
    t = assign_targets(ANCHORS, ANCHOR_CLASSES, gt, gt_classes, MATCHED, UNMATCHED)
    assert t.labels.tolist() == [[1, 0, 1, -1, 0, 0, 0, 2, 0, 0], [0] * 10]
    assert t.matched.tolist() == [[0, -1, 0, -1, -1, -1, -1, 1, -1, -1], [-1] * 10]
    expected = torch.zeros(2, 10, 7)
    expected[0, 2] = encode_boxes(gt[0, 0], ANCHORS[2])
    expected[0, 7] = encode_boxes(gt[0, 1], ANCHORS[7])
    torch.testing.assert_close(t.boxes, expected)


def test_forced_anchor_takes_its_own_best_box_and_ties_all_count():
    anchors = torch.tensor([box(0.0, 0.0, PED_SIZE), box(0.4, 0.0, PED_SIZE), box(-0.4, 0.0, PED_SIZE)])
    classes = torch.tensor([PED, PED, PED])
    gt = torch.tensor([[box(0.2, 0.0, PED_SIZE), box(-0.2, 0.0, PED_SIZE)]])
    high = torch.tensor([0.9, 0.9, 0.9])  # no anchor reaches the matched threshold: positives are forced only
    t = assign_targets(anchors, classes, gt, torch.tensor([[PED, PED]]), high, UNMATCHED)
    # IoU 0.36 / 0.6 = 0.6 is the best of box 0 (anchors 0, 1) and of box 1 (anchors 0, 2): all three are
    # forced positive; anchor 0 regresses to box 0, the first of its equal best boxes
    assert t.labels.tolist() == [[2, 2, 2]] and t.matched.tolist() == [[0, 0, 1]]


def test_no_boxes_at_all_gives_background_everywhere():
    t = assign_targets(ANCHORS, ANCHOR_CLASSES, torch.zeros(3, 0, 7), torch.zeros(3, 0, dtype=torch.long), MATCHED, UNMATCHED)
    assert (t.labels == 0).all() and t.labels.shape == (3, 10) and (t.boxes == 0).all() and (t.matched == -1).all()


def test_a_box_on_a_grid_anchor_makes_it_positive_with_its_class():
    cfg = tiny_config()
    anchors, classes = make_anchors(cfg)
    row = (5 * 32 + 9) * 6 + 3  # location y 5, x 9; anchor 3 = Pedestrian, rotation 1.57
    gt = anchors[row].view(1, 1, 7)
    t = assign_targets(anchors, classes, gt, torch.tensor([[PED]]), MATCHED, UNMATCHED)
    assert t.labels[0, row] == PED + 1 and t.matched[0, row] == 0
    torch.testing.assert_close(t.boxes[0, row], torch.zeros(7))
    assert set(t.labels[0, classes != PED].tolist()) == {0}  # other classes: background
    far = (t.labels[0] != 0) & ((anchors[:, :2] - gt[0, 0, :2]).norm(dim=1) > 2.0)
    assert not far.any()

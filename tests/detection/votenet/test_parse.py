import math

import torch

from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.parse import PARSE_PRESETS, ParseSettings, parse_predictions
from strl.detection.votenet.proposal import split_proposal_scores

BOX = BoxConfig("two", ("a", "b"), 1, ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)))


def make_outputs(centers, obj_logit, sem_logits):
    """Unit cubes at ``centers (K, 3)`` with objectness logits (logit of class 1; class 0 is 0)."""
    k = len(centers)
    net = torch.zeros(BOX.num_outputs, k)
    net[1] = torch.tensor(obj_logit)
    net[2:5] = torch.tensor(centers).T
    net[-2:] = torch.tensor(sem_logits).T
    return split_proposal_scores(net[None], torch.zeros(1, k, 3), BOX)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# proposals 0 and 1 overlap (IoU 0.6/1.4 > 0.25); 2 is far away with a tiny score; 3 overlaps 0 but has another class
CENTERS = [[0.0, 0, 0], [0.4, 0, 0], [5.0, 5, 0], [0.0, 0.3, 0]]
OBJ = [2.0, 1.0, -4.0, 1.5]
SEM = [[3.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 3.0]]


def test_class_agnostic_nms_and_argmax_class():
    out = make_outputs(CENTERS, OBJ, SEM)
    settings = ParseSettings(use_3d_nms=True, cls_nms=False, per_class_proposal=False)
    (det,) = parse_predictions(out, BOX, settings)
    # 0 suppresses 1 and 3; 2 survives NMS but its objectness (0.018) is below 0.05
    assert det.classes.tolist() == [0]
    torch.testing.assert_close(det.scores, torch.tensor([sigmoid(2.0)]))
    torch.testing.assert_close(det.boxes, torch.tensor([[0.0, 0, 0, 1, 1, 1, 0]]))


def test_per_class_nms_and_per_class_proposals():
    out = make_outputs(CENTERS, OBJ, SEM)
    (det,) = parse_predictions(out, BOX, ParseSettings())  # train.py's settings
    # 3 has another argmax class than 0, so it survives; each kept proposal appears once per class
    sem = torch.tensor(SEM).softmax(-1)
    expected = torch.tensor([sem[0, 0] * sigmoid(2.0), sem[3, 0] * sigmoid(1.5), sem[0, 1] * sigmoid(2.0), sem[3, 1] * sigmoid(1.5)])
    assert det.classes.tolist() == [0, 0, 1, 1]
    torch.testing.assert_close(det.scores, expected)
    assert torch.equal(det.boxes[0], det.boxes[2]) and torch.equal(det.boxes[1], det.boxes[3])


def test_bev_nms_and_empty_boxes():
    centers = [[0.0, 0, 0], [0.0, 0, 3.0], [3.0, 0, 0]]  # 0 and 1 overlap only seen from above
    out = make_outputs(centers, [2.0, 3.0, 1.0], [[1.0, 0.0]] * 3)
    (det,) = parse_predictions(out, BOX, ParseSettings(use_3d_nms=False, cls_nms=False, per_class_proposal=False))
    torch.testing.assert_close(det.boxes[:, :3], torch.tensor([[0.0, 0, 3.0], [3.0, 0, 0]]))
    # with points only in box 0 (and 4 in box 2): the empty ones go before NMS, so box 0 is kept
    points = torch.cat([torch.zeros(6, 3), torch.tensor([[3.0, 0, 0]]).repeat(4, 1)])[None]
    (det,) = parse_predictions(out, BOX, PARSE_PRESETS["eval"], points=points)
    torch.testing.assert_close(det.boxes[:, :3], torch.tensor([[0.0, 0, 0]]))
    assert det.classes.tolist() == [0] and det.scores.shape == (1,)

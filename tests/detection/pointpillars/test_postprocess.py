import math

import torch

from strl.detection.pointpillars import HeadOutput, preset
from strl.detection.pointpillars.postprocess import decode_predictions, postprocess

ANCHORS = torch.tensor(
    [
        [0.0, 0.0, -1.0, 3.9, 1.6, 1.56, 0.0],
        [0.2, 0.0, -1.0, 3.9, 1.6, 1.56, 0.0],  # overlaps anchor 0
        [10.0, 0.0, -1.0, 0.8, 0.6, 1.73, 0.0],
        [20.0, 0.0, -1.0, 1.76, 0.6, 1.73, 0.0],
        [30.0, 0.0, -1.0, 3.9, 1.6, 1.56, 0.0],
    ]
)


def logit(p):
    return math.log(p / (1 - p))


def head(scores, dir_bins, residuals=None):
    cls = torch.full((1, 5, 3), -20.0)
    for a, (k, p) in enumerate(scores):
        cls[0, a, k] = logit(p)
    dirs = torch.zeros(1, 5, 2)
    dirs[0, torch.arange(5), torch.tensor(dir_bins)] = 5.0
    box = torch.zeros(1, 5, 7) if residuals is None else residuals
    return HeadOutput(cls, box, dirs)


def test_decoding_applies_residuals_and_direction_bins():
    cfg = preset("pointpillars-kitti")
    residuals = torch.zeros(1, 5, 7)
    residuals[0, 0] = torch.tensor([1.0, 0.0, 0.0, math.log(2.0), 0.0, 0.0, 0.3])
    boxes, scores = decode_predictions(head([(0, 0.9)] * 5, [0, 1, 0, 1, 0], residuals), ANCHORS, cfg)
    diag = math.hypot(3.9, 1.6)
    torch.testing.assert_close(boxes[0, 0, :4], torch.tensor([diag, 0.0, -1.0, 7.8]))
    # heading 0.3 lies in bin 1's half-turn; bin 0 turns it by pi
    torch.testing.assert_close(boxes[0, 0, 6], torch.tensor(0.3 + math.pi))
    torch.testing.assert_close(boxes[0, 1, 6], torch.tensor(2 * math.pi))  # heading 0, bin 1
    torch.testing.assert_close(boxes[0, 2, 6], torch.tensor(math.pi))  # heading 0, bin 0
    torch.testing.assert_close(scores[0, :, 0], torch.full((5,), 0.9))


def test_threshold_class_agnostic_nms_and_labels():
    cfg = preset("pointpillars-kitti")
    out = head([(0, 0.8), (1, 0.9), (1, 0.5), (2, 0.3), (0, 0.05)], [1] * 5)
    (det,) = postprocess(out, ANCHORS, cfg)
    # anchor 1 (Pedestrian 0.9) suppresses the overlapping anchor 0 (Car 0.8) across classes; 0.05 < 0.1
    assert det.labels.tolist() == [1, 1, 2]
    torch.testing.assert_close(det.scores, torch.tensor([0.9, 0.5, 0.3]))
    torch.testing.assert_close(det.boxes[:, 0], torch.tensor([0.2, 10.0, 20.0]))
    assert det.boxes.shape == (3, 7)


def test_pre_and_post_max_sizes():
    out = head([(0, 0.8), (1, 0.9), (1, 0.5), (2, 0.3), (0, 0.6)], [1] * 5)
    (det,) = postprocess(out, ANCHORS, preset("pointpillars-kitti", nms_pre_max_size=2))
    assert det.scores.tolist() == [torch.tensor(0.9).item()]  # the two best overlap: one survives
    (det,) = postprocess(out, ANCHORS, preset("pointpillars-kitti", nms_post_max_size=2))
    torch.testing.assert_close(det.scores, torch.tensor([0.9, 0.6]))


def test_nothing_above_the_threshold():
    (det,) = postprocess(head([(0, 0.01)] * 5, [0] * 5), ANCHORS, preset("pointpillars-kitti"))
    assert det.boxes.shape == (0, 7) and det.scores.shape == (0,) and det.labels.dtype == torch.int64


def test_nms_uses_the_rotated_bev_overlap():
    # two thin parallel boxes at 45 degrees, 0.85 m apart across their 0.5 m width: their axis-aligned
    # bounds overlap by far more than 0.01, the rotated boxes do not touch
    anchors = torch.tensor([[0.0, 0.0, -1.0, 4.0, 0.5, 1.5, math.pi / 4], [0.6, -0.6, -1.0, 4.0, 0.5, 1.5, math.pi / 4]])
    out = HeadOutput(torch.tensor([[[2.0, -20.0, -20.0], [1.0, -20.0, -20.0]]]), torch.zeros(1, 2, 7), torch.tensor([[[5.0, 0.0], [5.0, 0.0]]]))
    (det,) = postprocess(out, anchors, preset("pointpillars-kitti"))
    assert len(det.scores) == 2
    torch.testing.assert_close(det.boxes[:, 6], torch.full((2,), math.pi / 4))

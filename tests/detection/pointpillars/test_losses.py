import math

import torch

from strl.detection.pointpillars import HeadOutput, preset
from strl.detection.pointpillars.losses import detection_loss, sigmoid_focal_loss, sin_difference, smooth_l1
from strl.detection.pointpillars.targets import AnchorTargets

LN2 = math.log(2.0)


def test_focal_loss_by_hand_and_against_its_definition():
    logits = torch.tensor([0.0, 0.0])
    torch.testing.assert_close(sigmoid_focal_loss(logits, torch.tensor([1.0, 0.0])), torch.tensor([0.25 * 0.25 * LN2, 0.75 * 0.25 * LN2]))
    x = torch.linspace(-30, 30, 41, dtype=torch.float64)
    for target in (0.0, 1.0):
        signed = x if target else -x  # p_t = sigmoid(signed), 1 - p_t = sigmoid(-signed)
        alpha_t = 0.25 if target else 0.75
        expected = -alpha_t * torch.sigmoid(-signed) ** 2 * torch.nn.functional.logsigmoid(signed)
        torch.testing.assert_close(sigmoid_focal_loss(x, torch.full_like(x, target)), expected, rtol=1e-6, atol=1e-30)


def test_smooth_l1_and_sin_difference_by_hand():
    torch.testing.assert_close(smooth_l1(torch.tensor([0.05, -1.0, 0.0]), 1 / 9), torch.tensor([0.5 * 0.0025 * 9, 1 - 1 / 18, 0.0]))
    pred, target = torch.rand(4, 7), torch.rand(4, 7)
    p, t = sin_difference(pred, target)
    torch.testing.assert_close(p[:, :6], pred[:, :6])
    torch.testing.assert_close(p[:, 6] - t[:, 6], torch.sin(pred[:, 6] - target[:, 6]))
    torch.testing.assert_close(t[:, 6], torch.cos(pred[:, 6]) * torch.sin(target[:, 6]))


def frame_loss(cls, box, dirs, labels, box_targets, headings):
    """Independent per-anchor loop for one frame, before the division by the batch size."""
    positives = max(sum(1 for label in labels if label > 0), 1)
    total_cls = total_box = total_dir = 0.0
    for a, label in enumerate(labels):
        if label < 0:
            continue
        for k in range(3):
            p = 1 / (1 + math.exp(-cls[a][k]))
            target = 1.0 if label == k + 1 else 0.0
            p_t = p if target else 1 - p
            total_cls += -(0.25 if target else 0.75) * (1 - p_t) ** 2 * math.log(p_t) / positives
        if label > 0:
            diffs = [box[a][j] - box_targets[a][j] for j in range(6)]
            diffs.append(math.sin(box[a][6] - box_targets[a][6]))
            total_box += sum(0.5 * d * d * 9 if abs(d) < 1 / 9 else abs(d) - 1 / 18 for d in diffs) / positives
            direction = int(((headings[a] - 0.78539) % (2 * math.pi)) // math.pi)
            logp = dirs[a][direction] - math.log(sum(math.exp(v) for v in dirs[a]))
            total_dir += -logp / positives
    return total_cls, total_box, total_dir


def test_detection_loss_by_hand_and_against_a_loop():
    cfg = preset("pointpillars-kitti")
    anchors = torch.zeros(3, 7, dtype=torch.float64)
    anchors[:, 6] = torch.tensor([0.0, 1.57, 0.0])
    cls = torch.zeros(2, 3, 3, dtype=torch.float64)
    box = torch.zeros(2, 3, 7, dtype=torch.float64)
    box[:, 0] = torch.tensor([0.05, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5], dtype=torch.float64)
    box[:, 1:] = 5.0  # only positives regress
    dirs = torch.zeros(2, 3, 2, dtype=torch.float64)
    dirs[:, 0, 1] = math.log(3.0)
    labels = torch.tensor([[1, 0, -1], [1, 3, 0]])
    targets_box = torch.zeros(2, 3, 7, dtype=torch.float64)
    targets_box[1, 1] = torch.tensor([0.1, -0.2, 0.3, 0.0, 0.1, 0.0, 2.0], dtype=torch.float64)
    out = HeadOutput(cls, box, dirs)
    parts = detection_loss(out, AnchorTargets(labels, targets_box, labels * 0), anchors, cfg)

    # frame 0 by hand: one positive (Car), one negative, one ignored; heading 0 is direction bin 1
    cls0 = 0.25 * (0.25 + 2 * 0.75) * LN2 + 3 * 0.75 * 0.25 * LN2
    box0 = 0.5 * 0.05**2 * 9 + (1 - 1 / 18) + (math.sin(0.5) - 1 / 18)
    dir0 = -math.log(0.75)
    assert math.isclose(cls0, LN2)
    frame1 = frame_loss(cls[1].tolist(), box[1].tolist(), dirs[1].tolist(), labels[1].tolist(), targets_box[1].tolist(), (targets_box[1, :, 6] + anchors[:, 6]).tolist())
    assert math.isclose(frame_loss(cls[0].tolist(), box[0].tolist(), dirs[0].tolist(), labels[0].tolist(), targets_box[0].tolist(), [0.0] * 3)[0], cls0)
    expected_cls = (cls0 + frame1[0]) / 2
    expected_box = 2.0 * (box0 + frame1[1]) / 2
    expected_dir = 0.2 * (dir0 + frame1[2]) / 2
    assert math.isclose(parts.cls.item(), expected_cls, rel_tol=1e-9)
    assert math.isclose(parts.box.item(), expected_box, rel_tol=1e-9)
    assert math.isclose(parts.dir.item(), expected_dir, rel_tol=1e-9)
    assert math.isclose(parts.total.item(), expected_cls + expected_box + expected_dir, rel_tol=1e-9)
    assert set(parts.logs()) == {"loss", "loss_cls", "loss_box", "loss_dir"}

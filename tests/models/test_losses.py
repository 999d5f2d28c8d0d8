import math

import pytest
import torch
import torch.nn.functional as F

from strl.models.losses import smoothed_cross_entropy


def test_hand_computed_smoothed_cross_entropy():
    """Softmax (1/4, 1/2, 1/4); targets 0.8 on the gold class and 0.1 elsewhere:
    gold 1: -(0.8 ln 1/2 + 0.2 ln 1/4) = 1.2 ln 2; gold 0: -(0.8 ln 1/4 + 0.1 ln 1/2 + 0.1 ln 1/4) = 1.9 ln 2."""
    logits = torch.log(torch.tensor([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]], dtype=torch.float64))
    loss = smoothed_cross_entropy(logits, torch.tensor([1, 0]), smoothing=0.2)
    assert loss.item() == pytest.approx(1.55 * math.log(2), rel=1e-12)


def test_differs_from_torch_label_smoothing_of_the_same_value_and_equals_the_rescaled_one():
    gen = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(6, 5, 4, generator=gen, dtype=torch.float64)  # (B, N, C), as segmentation
    target = torch.randint(0, 4, (6, 5), generator=gen)
    ours = smoothed_cross_entropy(logits, target, 0.2)
    flat = logits.reshape(-1, 4), target.reshape(-1)
    assert ours.item() == pytest.approx(F.cross_entropy(*flat, label_smoothing=0.2 * 4 / 3).item(), rel=1e-12)
    assert abs(ours.item() - F.cross_entropy(*flat, label_smoothing=0.2).item()) > 1e-2
    assert smoothed_cross_entropy(logits, target, 0.0).item() == pytest.approx(F.cross_entropy(*flat).item(), rel=1e-12)


def test_ignore_index_leaves_targets_out_of_the_mean():
    logits = torch.log(torch.tensor([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0], [5.0, 1.0, 1.0]], dtype=torch.float64))
    loss = smoothed_cross_entropy(logits, torch.tensor([1, 0, 255]), ignore_index=255)
    assert loss.item() == pytest.approx(1.55 * math.log(2), rel=1e-12)

import math

import torch

from strl.detection.pointpillars.box_coder import apply_direction, decode_boxes, direction_targets, encode_boxes


def test_encoding_by_hand():
    anchor = torch.tensor([10.0, 2.0, -1.0, 3.0, 4.0, 2.0, 0.5])
    box = torch.tensor([11.0, 4.5, 0.0, 6.0, 2.0, 2.0, 1.0])
    expected = torch.tensor([1.0 / 5.0, 2.5 / 5.0, 1.0 / 2.0, math.log(2.0), math.log(0.5), 0.0, 0.5])
    torch.testing.assert_close(encode_boxes(box, anchor), expected)


def test_encode_decode_round_trip_batched():
    gen = torch.Generator().manual_seed(0)
    anchors = torch.rand(3, 50, 7, generator=gen, dtype=torch.float64) * 4 + 0.5
    boxes = torch.rand(3, 50, 7, generator=gen, dtype=torch.float64) * 4 + 0.5
    torch.testing.assert_close(decode_boxes(encode_boxes(boxes, anchors), anchors), boxes)
    residuals = torch.randn(3, 50, 7, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(encode_boxes(decode_boxes(residuals, anchors), anchors), residuals)


def test_direction_targets_split_at_the_offset():
    offset = 0.78539
    headings = torch.tensor([0.0, offset + 0.01, offset - 0.01, math.pi, -math.pi / 2, 4.0, offset + math.pi + 0.01])
    # bin 0 covers [offset, offset + pi) mod 2 pi, bin 1 the rest
    assert direction_targets(headings, offset, 2).tolist() == [1, 0, 1, 0, 1, 1, 1]


def test_direction_decoding_restores_the_heading_from_its_bin():
    offset = 0.78539
    headings = torch.linspace(-3.0, 3.0, 25, dtype=torch.float64)
    bins = direction_targets(headings, offset, 2)
    for flipped in (headings, headings + math.pi, headings - math.pi):  # the regression is blind to a half turn
        decoded = apply_direction(flipped, bins, offset, 0.0, 2)
        torch.testing.assert_close(torch.remainder(decoded - headings + 1, 2 * math.pi) - 1, torch.zeros_like(headings), atol=1e-9, rtol=0)

import pytest
import torch

from strl.detection.votenet.batch import collate_detection
from strl.detection.votenet.inputs import DetectionSample
from strl.errors import DataError


def sample(num_boxes, classes, n=5):
    boxes = torch.arange(num_boxes * 7, dtype=torch.float32).view(num_boxes, 7) + 1
    return DetectionSample(torch.rand(n, 4), boxes, torch.tensor(classes), torch.rand(n, 9), torch.rand(n) > 0.5)


def test_padding_and_mask():
    a, b = sample(2, [1, 2]), sample(1, [0])
    batch = collate_detection([a, b], max_objects=3)
    assert batch.points.shape == (2, 5, 4) and batch.vote_offsets.shape == (2, 5, 9) and batch.boxes.shape == (2, 3, 7)
    assert batch.box_mask.tolist() == [[True, True, False], [True, False, False]]
    assert batch.box_classes.tolist() == [[1, 2, 0], [0, 0, 0]]
    assert torch.equal(batch.boxes[0, :2], a.boxes) and torch.equal(batch.boxes[1, 0], b.boxes[0])
    assert (batch.boxes[0, 2] == 0).all() and (batch.boxes[1, 1:] == 0).all()
    assert torch.equal(batch.vote_mask[1], b.vote_mask) and batch.to("cpu").points is not None
    assert collate_detection([sample(0, [])]).boxes.shape == (1, 64, 7)


def test_too_many_boxes_names_the_scene():
    with pytest.raises(DataError, match="scene0001: scene has 2 boxes, more than the 1"):
        collate_detection([sample(2, [1, 2]), sample(1, [0])], max_objects=1, names=["scene0001", "scene0002"])

import math

import torch

from strl.detection.votenet.box_coding import encode_heading, encode_size
from strl.detection.votenet.box_config import SUNRGBD
from strl.detection.votenet.decode import decode_boxes
from strl.detection.votenet.proposal import split_proposal_scores


def outputs_for(boxes: torch.Tensor, classes: torch.Tensor, box=SUNRGBD) -> dict:
    """Head outputs ``(1, K, ...)`` whose argmax bins and residuals encode ``boxes (K, 7)`` exactly."""
    k = boxes.shape[0]
    nh, ns, nc = box.num_heading_bin, box.num_size_cluster, box.num_class
    mean = box.mean_size_tensor(boxes)
    bins, res = encode_heading(boxes[:, 6], nh)
    net = torch.zeros(k, box.num_outputs, dtype=boxes.dtype)
    net[:, 2:5] = boxes[:, :3]  # residual to a cluster centre at the origin
    net[torch.arange(k), 5 + bins] = 5.0
    net[torch.arange(k), 5 + nh + bins] = res / (math.pi / nh)
    net[torch.arange(k), 5 + 2 * nh + classes] = 5.0
    size_start = 5 + 2 * nh + ns
    for a in range(3):
        net[torch.arange(k), size_start + 3 * classes + a] = encode_size(boxes[:, 3:6], classes, mean)[:, a] / mean[classes, a]
    net[torch.arange(k), 5 + 2 * nh + 4 * ns + classes] = 5.0
    return split_proposal_scores(net.T[None], torch.zeros(1, k, 3, dtype=boxes.dtype), box)


def test_decoding_recovers_encoded_boxes():
    boxes = torch.tensor([
        [1.0, 2.0, 0.5, 2.0, 1.5, 0.9, 0.3],
        [-1.0, 0.0, 1.0, 0.6, 0.5, 0.8, -2.5],
        [0.0, 0.0, 0.0, 0.4, 1.0, 1.7, math.pi],
    ], dtype=torch.float64)
    classes = torch.tensor([0, 3, 8])
    decoded = decode_boxes(outputs_for(boxes, classes), SUNRGBD)
    assert decoded.shape == (1, 3, 7)
    torch.testing.assert_close(decoded[0], boxes, rtol=0, atol=1e-12)


def test_negative_predicted_sizes_are_taken_by_magnitude():
    boxes = torch.tensor([[0.0, 0, 0, 2.0, 1.0, 1.0, 0.0]], dtype=torch.float64)
    out = outputs_for(boxes, torch.tensor([0]))
    out["size_residuals"] = out["size_residuals"].clone()
    out["size_residuals"][0, 0, 0, 0] = -2.114256 - 0.5  # length -0.5
    assert decode_boxes(out, SUNRGBD)[0, 0, 3].item() == 0.5

import math

import torch

from strl.detection.votenet.box_config import SUNRGBD
from strl.detection.votenet.proposal import split_proposal_scores


def test_channel_order():
    nh, ns, nc = 12, 10, 10
    k = 3
    net = torch.arange(79 * k, dtype=torch.float32).view(1, 79, k)  # channel c of proposal j = 3c + j
    base = torch.full((1, k, 3), 100.0)
    out = split_proposal_scores(net, base, SUNRGBD)

    def channels(start, count):
        return (3 * torch.arange(start, start + count)[None, :] + torch.arange(k)[:, None]).float()[None]

    assert torch.equal(out["objectness_scores"], channels(0, 2))
    assert torch.equal(out["center"], channels(2, 3) + 100)
    assert torch.equal(out["heading_scores"], channels(5, nh))
    assert torch.equal(out["heading_residuals_normalized"], channels(5 + nh, nh))
    torch.testing.assert_close(out["heading_residuals"], channels(5 + nh, nh) * math.pi / nh)
    assert torch.equal(out["size_scores"], channels(5 + 2 * nh, ns))
    # residuals are cluster-major: cluster i holds channels 5+2NH+NS + 3i .. +3
    size = channels(5 + 2 * nh + ns, 3 * ns).view(1, k, ns, 3)
    assert torch.equal(out["size_residuals_normalized"], size)
    torch.testing.assert_close(out["size_residuals"], size * SUNRGBD.mean_size_tensor())
    assert torch.equal(out["sem_cls_scores"], channels(5 + 2 * nh + 4 * ns, nc))

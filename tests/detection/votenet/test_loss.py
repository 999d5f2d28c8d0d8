import math
from types import SimpleNamespace

import torch

from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.loss import center_loss, objectness_loss, objectness_targets, vote_loss, votenet_loss
from strl.detection.votenet.proposal import split_proposal_scores

BOX = BoxConfig("tiny", ("a", "b", "c"), 4, ((1.0, 1.0, 1.0), (2.0, 1.0, 0.5), (0.5, 0.5, 2.0)))


def test_objectness_thresholds_and_padded_slots():
    centers = torch.tensor([[[1.0, 0, 0], [0, 0, 0]]])  # second slot is padding
    mask = torch.tensor([[True, False]])
    agg = torch.tensor([[[1.2, 0, 0], [1.45, 0, 0], [1.7, 0, 0], [0, 0, 0], [1, 0.299, 0]]])
    label, keep, assignment = objectness_targets(agg, centers, mask)
    assert label.tolist() == [[1, 0, 0, 0, 1]]
    # 0.45 m is in the ignored band; the proposal at the origin is 1 m from the only real box
    assert keep.tolist() == [[True, False, True, True, True]]
    assert assignment.tolist() == [[0, 0, 0, 0, 0]]
    label, keep, _ = objectness_targets(agg, centers, torch.zeros(1, 2, dtype=torch.bool))
    assert label.sum() == 0 and keep.all()  # no boxes: every proposal is a negative


def test_objectness_loss_by_hand():
    scores = torch.tensor([[[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [3.0, -2.0]]])
    label = torch.tensor([[1, 0, 1, 0]])
    keep = torch.tensor([[True, True, True, False]])
    nll = [math.log(2), math.log(2), math.log(1 + math.e)]  # the last proposal is ignored
    expected = (0.8 * nll[0] + 0.2 * nll[1] + 0.8 * nll[2]) / (3 + 1e-6)
    torch.testing.assert_close(objectness_loss(scores, label, keep), torch.tensor(expected))


def test_center_chamfer_by_hand():
    gt = torch.tensor([[[1.0, 0, 0], [5, 0, 0], [0, 0, 0]]])
    box_mask = torch.tensor([[True, True, False]])
    pred = torch.tensor([[[1.1, 0, 0], [0, 0, 0]]])
    positive = torch.tensor([[True, True]])
    # pred -> nearest real GT: 0.01 and 1.0 (not the padded slot at the origin); GT -> nearest pred: 0.01, 3.9²
    expected = (0.01 + 1.0) / (2 + 1e-6) + (0.01 + 3.9**2) / (2 + 1e-6)
    torch.testing.assert_close(center_loss(pred, gt, box_mask, positive), torch.tensor(expected))
    only_first = torch.tensor([[True, False]])
    torch.testing.assert_close(center_loss(pred, gt, box_mask, only_first), torch.tensor(0.01 / (1 + 1e-6) + expected - 1.01 / (2 + 1e-6)))


def test_vote_loss_by_hand():
    seed_xyz = torch.tensor([[[0.0, 0, 0], [1, 1, 1]]])
    seed_inds = torch.tensor([[2, 0]])
    votes = torch.tensor([[[1.0, 1, 1], [0, 0, 0]]])
    offsets = torch.zeros(1, 3, 9)
    offsets[0, 2] = torch.tensor([1.0, 1, 0, 2, 2, 2, 1, 1, 1.5])  # L1 distances 1, 3, 0.5
    mask = torch.tensor([[False, False, True]])  # input point 0 (seed 1) is on no object
    torch.testing.assert_close(vote_loss(votes, seed_xyz, seed_inds, offsets, mask), torch.tensor(0.5 / (1 + 1e-6)))
    mask[0, 0] = True  # now seed 1 counts: its GT vote is itself, its vote is 3 away in L1
    torch.testing.assert_close(vote_loss(votes, seed_xyz, seed_inds, offsets, mask), torch.tensor(3.5 / (2 + 1e-6)))


def _random_case(gen, boxes_per_scene=(3, 0)):
    b, s, n, k, g = 2, 12, 20, 10, 4
    dd = torch.float64
    seed_xyz = torch.rand(b, s, 3, generator=gen, dtype=dd) * 2
    boxes = torch.zeros(b, g, 7, dtype=dd)
    box_mask = torch.zeros(b, g, dtype=torch.bool)
    classes = torch.zeros(b, g, dtype=torch.long)
    for i, count in enumerate(boxes_per_scene):
        boxes[i, :count, :3] = torch.rand(count, 3, generator=gen, dtype=dd) * 2
        boxes[i, :count, 3:6] = 0.3 + torch.rand(count, 3, generator=gen, dtype=dd)
        boxes[i, :count, 6] = (torch.rand(count, generator=gen, dtype=dd) - 0.5) * 7
        classes[i, :count] = torch.randint(3, (count,), generator=gen)
        box_mask[i, :count] = True
    # cluster centres near the boxes and elsewhere, so that all three objectness cases occur
    agg = torch.rand(b, k, 3, generator=gen, dtype=dd) * 2
    agg[0, :3] = boxes[0, :3, :3] + 0.05
    agg[0, 3] = 0.0  # at the origin, where the padded slots are
    net = torch.randn(b, BOX.num_outputs, k, generator=gen, dtype=dd)
    out = split_proposal_scores(net, agg, BOX)
    out.update(
        seed_xyz=seed_xyz,
        seed_inds=torch.randint(n, (b, s), generator=gen),
        vote_xyz=seed_xyz + torch.randn(b, s, 3, generator=gen, dtype=dd) * 0.3,
        aggregated_vote_xyz=agg,
    )
    batch = SimpleNamespace(
        boxes=boxes, box_classes=classes, box_mask=box_mask,
        vote_offsets=torch.randn(b, n, 9, generator=gen, dtype=dd), vote_mask=torch.rand(b, n, generator=gen) > 0.4,
    )
    return out, batch


def _huber(x):
    a = abs(x)
    q = min(a, 1.0)
    return 0.5 * q * q + (a - q)


def _ce(scores, label):
    return math.log(sum(math.exp(v) for v in scores)) - scores[label]


def reference_loss(out, batch):
    """VoteNet's loss_helper written out proposal by proposal (padded GT masked)."""
    o = {key: v.tolist() for key, v in out.items()}
    nh, w = BOX.num_heading_bin, 2 * math.pi / BOX.num_heading_bin
    sums = dict(vote=[0, 0], obj=[0, 0], c1=[0, 0], c2=[0, 0], hc=[0, 0], hr=[0, 0], sc=[0, 0], sr=[0, 0], sem=[0, 0])
    for b in range(len(o["seed_xyz"])):
        real = [j for j in range(batch.boxes.shape[1]) if batch.box_mask[b, j]]
        gt = batch.boxes[b].tolist()
        for s, seed in enumerate(o["seed_xyz"][b]):
            p = int(o["seed_inds"][b][s])
            if batch.vote_mask[b, p]:
                off = batch.vote_offsets[b, p].tolist()
                d = min(sum(abs(o["vote_xyz"][b][s][a] - seed[a] - off[3 * v + a]) for a in range(3)) for v in range(3))
                sums["vote"][0] += d
                sums["vote"][1] += 1
        for j in real:
            sums["c2"][0] += min(sum((c[a] - gt[j][a]) ** 2 for a in range(3)) for c in o["center"][b])
            sums["c2"][1] += 1
        for k, agg in enumerate(o["aggregated_vote_xyz"][b]):
            dists = [(sum((agg[a] - gt[j][a]) ** 2 for a in range(3)), j) for j in real]
            sq, j = min(dists) if dists else (math.inf, 0)
            e = math.sqrt(sq + 1e-6)
            label = int(e < 0.3)
            if e < 0.3 or e > 0.6:
                sums["obj"][0] += (0.8 if label else 0.2) * _ce(o["objectness_scores"][b][k], label)
                sums["obj"][1] += 1
            if not label:
                continue
            c = o["center"][b][k]
            sums["c1"][0] += min(sum((c[a] - gt[i][a]) ** 2 for a in range(3)) for i in real)
            angle = gt[j][6] % (2 * math.pi)
            shifted = (angle + w / 2) % (2 * math.pi)
            hbin = int(shifted / w)
            hres = shifted - (hbin * w + w / 2)
            cls = int(batch.box_classes[b, j])
            mean = BOX.mean_sizes[cls]
            terms = dict(
                hc=_ce(o["heading_scores"][b][k], hbin),
                hr=_huber(o["heading_residuals_normalized"][b][k][hbin] - hres / (math.pi / nh)),
                sc=_ce(o["size_scores"][b][k], cls),
                sr=sum(_huber(o["size_residuals_normalized"][b][k][cls][a] - (gt[j][3 + a] - mean[a]) / mean[a]) for a in range(3)) / 3,
                sem=_ce(o["sem_cls_scores"][b][k], cls),
            )
            for name, value in terms.items():
                sums[name][0] += value
            for name in ("c1", "hc", "hr", "sc", "sr", "sem"):
                sums[name][1] += 1
    m = {name: total / (count + 1e-6) for name, (total, count) in sums.items()}
    box = m["c1"] + m["c2"] + 0.1 * m["hc"] + m["hr"] + 0.1 * m["sc"] + m["sr"]
    return 10 * (m["vote"] + 0.5 * m["obj"] + box + 0.1 * m["sem"]), m


def test_total_matches_a_proposal_by_proposal_reference():
    out, batch = _random_case(torch.Generator().manual_seed(0))
    terms = votenet_loss(out, batch, BOX)
    total, m = reference_loss(out, batch)
    assert 0 < terms["objectness_label"].sum() < terms["objectness_mask"].sum() < terms["objectness_mask"].numel()
    named = dict(vote="vote_loss", obj="objectness_loss", hc="heading_cls_loss", hr="heading_reg_loss",
                 sc="size_cls_loss", sr="size_reg_loss", sem="sem_cls_loss")
    for short, name in named.items():
        torch.testing.assert_close(terms[name].item(), m[short], rtol=1e-9, atol=1e-12, msg=name)
    torch.testing.assert_close(terms["center_loss"].item(), m["c1"] + m["c2"], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(terms["loss"].item(), total, rtol=1e-9, atol=1e-12)


def test_scene_without_boxes_gives_finite_loss_and_gradients():
    out, batch = _random_case(torch.Generator().manual_seed(1), boxes_per_scene=(0, 0))
    leaves = {k: out[k].clone().requires_grad_() for k in ("center", "objectness_scores", "sem_cls_scores")}
    out.update(leaves)
    terms = votenet_loss(out, batch, BOX)
    assert torch.isfinite(terms["loss"]) and terms["objectness_label"].sum() == 0
    terms["loss"].backward()
    assert all(torch.isfinite(v.grad).all() for v in leaves.values())
    assert leaves["center"].grad.abs().sum() == 0  # no positives and no GT: no centre loss

"""VoteNet's training loss (``models/loss_helper.py``), vectorised over padded ground truth.

Ground truth comes padded to ``G`` boxes per scene with a mask: ``boxes (B, G, 7)`` as
``(cx, cy, cz, dx, dy, dz, heading)`` with full sizes, ``box_classes (B, G)`` int64 and
``box_mask (B, G)`` bool. Fix of the reference: it matches proposals to the nearest GT centre
*including* the padded slots (centre 0,0,0), so a proposal near the origin can be labelled an
object, assigned to an empty slot and pulled towards the origin. Here padded slots never match
(objectness, assignment and the proposal-to-GT half of the centre chamfer); a scene without
boxes makes every proposal a negative.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from strl.detection.votenet.box_coding import encode_heading, encode_size
from strl.detection.votenet.box_config import BoxConfig
from strl.detection.votenet.vote_targets import GT_VOTE_FACTOR

NEAR_THRESHOLD = 0.3
FAR_THRESHOLD = 0.6
OBJECTNESS_CLS_WEIGHTS = (0.2, 0.8)
EPS = 1e-6


def masked_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``sum(values · weights) / (sum(weights) + 1e-6)``, VoteNet's normalisation of every term."""
    w = weights.to(values.dtype)
    return (values * w).sum() / (w.sum() + EPS)


def vote_loss(
    vote_xyz: torch.Tensor,
    seed_xyz: torch.Tensor,
    seed_inds: torch.Tensor,
    vote_offsets: torch.Tensor,
    vote_mask: torch.Tensor,
) -> torch.Tensor:
    """Mean over seeds on objects of the L1 distance between a seed's votes and its nearest GT vote.

    vote_xyz ``(B, S·V, 3)`` (the V votes of a seed consecutive), seed_xyz ``(B, S, 3)``, seed_inds
    ``(B, S)`` indices of the seeds among the input points, vote_offsets ``(B, N, 9)`` and
    vote_mask ``(B, N)`` the per-point targets. With V > 1 the distance is the smallest over all
    (predicted vote, GT vote) pairs of a seed, as the reference.
    """
    b, s, _ = seed_xyz.shape
    idx = seed_inds.long()
    gt = vote_offsets.gather(1, idx[..., None].expand(-1, -1, 3 * GT_VOTE_FACTOR)).view(b, s, GT_VOTE_FACTOR, 3)
    gt = gt + seed_xyz.unsqueeze(2)
    votes = vote_xyz.view(b, s, -1, 3)
    dist = (votes.unsqueeze(3) - gt.unsqueeze(2)).abs().sum(-1)  # (B, S, V, 3)
    return masked_mean(dist.flatten(2).amin(-1), vote_mask.gather(1, idx))


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(B, K, 3), (B, G, 3) -> (B, K, G)`` squared Euclidean distances."""
    return (a.unsqueeze(2) - b.unsqueeze(1)).square().sum(-1)


def nearest_valid(dist: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row minimum of ``dist (B, K, G)`` over the valid columns ``valid (B, G)``: values, indices ``(B, K)``.

    A row without valid columns gives ``inf`` (index 0).
    """
    return dist.masked_fill(~valid.unsqueeze(1), math.inf).min(-1)


def objectness_targets(
    aggregated_xyz: torch.Tensor, centers: torch.Tensor, box_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Label each cluster centre ``(B, K, 3)`` by its distance to the nearest real GT centre.

    Returns ``label (B, K)`` int64 (1: closer than 0.3 m), ``mask (B, K)`` bool (false in the
    0.3-0.6 m band, which is ignored) and ``assignment (B, K)`` (index of that GT box).
    Distances are ``sqrt(d² + 1e-6)``, as the reference.
    """
    sq, assignment = nearest_valid(squared_distances(aggregated_xyz.detach(), centers), box_mask)
    dist = torch.sqrt(sq + EPS)
    positive = dist < NEAR_THRESHOLD
    return positive.long(), positive | (dist > FAR_THRESHOLD), assignment


def objectness_loss(scores: torch.Tensor, label: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``scores (B, K, 2)`` with class weights [0.2, 0.8], averaged over ``mask``.

    Per proposal the loss is ``weight[label] · nll`` (``reduction='none'``); the sum over the mask is
    divided by the mask's count, not by the weights, as the reference.
    """
    weight = scores.new_tensor(OBJECTNESS_CLS_WEIGHTS)
    return masked_mean(F.cross_entropy(scores.transpose(1, 2), label, weight=weight, reduction="none"), mask)


def center_loss(center: torch.Tensor, gt_centers: torch.Tensor, box_mask: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """Two-way squared-L2 chamfer between predicted centres ``(B, K, 3)`` and GT centres ``(B, G, 3)``.

    Predicted to nearest real GT, averaged over the positive proposals ``(B, K)``; plus each real GT
    to its nearest predicted centre (any proposal), averaged over ``box_mask (B, G)``.
    """
    sq = squared_distances(center, gt_centers)
    to_gt, _ = nearest_valid(sq, box_mask)
    to_pred = sq.min(1).values  # (B, G)
    to_gt = torch.where(positive, to_gt, torch.zeros_like(to_gt))
    return masked_mean(to_gt, positive) + masked_mean(to_pred, box_mask)


def _gather_boxes(values: torch.Tensor, assignment: torch.Tensor) -> torch.Tensor:
    """Per-box values ``(B, G, ...)`` of each proposal's assigned box: ``(B, K, ...)``."""
    idx = assignment.view(*assignment.shape, *([1] * (values.ndim - 2))).expand(-1, -1, *values.shape[2:])
    return values.gather(1, idx)


def _pick(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values (B, K, C, ...)`` at class ``index (B, K)``: ``(B, K, ...)``."""
    idx = index.view(*index.shape, 1, *([1] * (values.ndim - 3))).expand(-1, -1, 1, *values.shape[3:])
    return values.gather(2, idx).squeeze(2)


def box_losses(outputs: dict, boxes: torch.Tensor, box_classes: torch.Tensor, box_mask: torch.Tensor,
               positive: torch.Tensor, assignment: torch.Tensor, box: BoxConfig) -> dict[str, torch.Tensor]:
    """Centre, heading, size and semantic terms, averaged over the positive proposals.

    The size cluster of a GT box is its class. Heading: cross-entropy over bins and Huber (δ 1)
    on the chosen bin's normalised residual against residual/(π/NH). Size: cross-entropy over
    clusters and Huber on the chosen cluster's normalised residual against residual/mean size
    (mean over xyz). Semantic: cross-entropy.
    """
    nh = box.num_heading_bin
    mean_sizes = box.mean_size_tensor(boxes)
    head_cls, head_res = encode_heading(boxes[..., 6], nh)
    size_res = encode_size(boxes[..., 3:6], box_classes, mean_sizes)
    head_cls, head_res = _gather_boxes(head_cls, assignment), _gather_boxes(head_res, assignment)
    cls, size_res = _gather_boxes(box_classes, assignment), _gather_boxes(size_res, assignment)

    def ce(scores, label):
        return masked_mean(F.cross_entropy(scores.transpose(1, 2), label, reduction="none"), positive)

    head_err = _pick(outputs["heading_residuals_normalized"], head_cls) - head_res / (math.pi / nh)
    size_err = _pick(outputs["size_residuals_normalized"], cls) - size_res / mean_sizes[cls]
    zero = torch.zeros_like(head_err)
    return {
        "center_loss": center_loss(outputs["center"], boxes[..., :3], box_mask, positive),
        "heading_cls_loss": ce(outputs["heading_scores"], head_cls),
        "heading_reg_loss": masked_mean(F.huber_loss(head_err, zero, reduction="none", delta=1.0), positive),
        "size_cls_loss": ce(outputs["size_scores"], cls),
        "size_reg_loss": masked_mean(
            F.huber_loss(size_err, torch.zeros_like(size_err), reduction="none", delta=1.0).mean(-1), positive
        ),
        "sem_cls_loss": ce(outputs["sem_cls_scores"], cls),
    }


def votenet_loss(outputs: dict, batch, box: BoxConfig) -> dict[str, torch.Tensor]:
    """The total loss and its terms for a model's ``outputs`` and a batch's padded ground truth.

    ``batch`` has ``boxes (B, G, 7)``, ``box_classes (B, G)``, ``box_mask (B, G)``,
    ``vote_offsets (B, N, 9)`` and ``vote_mask (B, N)``. Totals as the reference:
    box = centre + 0.1·heading_cls + heading_reg + 0.1·size_cls + size_reg and
    loss = 10·(vote + 0.5·objectness + box + 0.1·semantic). Also returns ``objectness_label``,
    ``objectness_mask``, ``object_assignment`` (``(B, K)``), ``pos_ratio``, ``neg_ratio`` and ``obj_acc``.
    """
    box_mask = batch.box_mask.bool()
    label, mask, assignment = objectness_targets(outputs["aggregated_vote_xyz"], batch.boxes[..., :3], box_mask)
    positive = label.bool()
    terms = {
        "vote_loss": vote_loss(outputs["vote_xyz"], outputs["seed_xyz"], outputs["seed_inds"],
                               batch.vote_offsets, batch.vote_mask),
        "objectness_loss": objectness_loss(outputs["objectness_scores"], label, mask),
        **box_losses(outputs, batch.boxes, batch.box_classes, box_mask, positive, assignment, box),
    }
    terms["box_loss"] = (terms["center_loss"] + 0.1 * terms["heading_cls_loss"] + terms["heading_reg_loss"]
                         + 0.1 * terms["size_cls_loss"] + terms["size_reg_loss"])
    terms["loss"] = 10 * (terms["vote_loss"] + 0.5 * terms["objectness_loss"] + terms["box_loss"]
                          + 0.1 * terms["sem_cls_loss"])
    predicted = outputs["objectness_scores"].argmax(-1)
    terms.update(
        objectness_label=label,
        objectness_mask=mask,
        object_assignment=assignment,
        pos_ratio=positive.float().mean(),
        neg_ratio=(mask & ~positive).float().mean(),
        obj_acc=masked_mean((predicted == label).float(), mask).detach(),
    )
    return terms

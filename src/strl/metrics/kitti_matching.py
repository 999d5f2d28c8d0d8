"""The statistics of the KITTI object evaluation: difficulty flags, greedy matching, score thresholds.

The rules are those of the C++ devkit (``evaluate_object.cpp``) and of its Python port in
OpenPCDet (``kitti_object_eval_python/eval.py``), which agree on everything used here:

* ``clean_data``: every ground-truth (GT) object gets a flag per difficulty level -- 0 counts,
  1 is ignored (a neighbour class, Van for Car and Person_sitting for Pedestrian, or an object of
  the class outside the level: occluded or truncated beyond the level's maximum, or a 2D box height
  ``<=`` the level's minimum), -1 is skipped (every other class). Detections: 1 when the 2D box
  height is ``<`` the level's minimum -- whatever their class, as in both implementations --,
  0 when of the evaluated class, else -1.
* ``compute_statistics``: the GT objects of a frame are visited in file order; each takes one
  still unassigned detection whose overlap is ``> min_overlap`` (strict). While collecting score
  thresholds, the detection with the highest score (flag 0 or 1). While counting at a score
  threshold (only detections scoring ``>=`` it), the flag-0 detection with the highest overlap,
  else the first flag-1 one. A pair counts as a true positive (TP) only if both flags are 0; a
  GT with flag 0 left alone is a false negative; flag-0 detections left unassigned are false
  positives (FP), except, for the 2D box metric, those covered by a DontCare box by more than
  ``min_overlap`` of their own area.
* ``get_thresholds``: up to 41 TP scores at roughly evenly spaced recall positions.

The matching is vectorised over frames, difficulty levels and score thresholds: only the pairs
whose overlap passes the threshold take part, laid out densely per (level, frame), and a Python
loop runs over the position of a GT within its frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_HEIGHT = (40.0, 25.0, 25.0)  # easy, moderate, hard: 2D box height in pixels
MAX_OCCLUSION = (0, 1, 2)
MAX_TRUNCATION = (0.15, 0.30, 0.50)
NEIGHBOUR_CLASS = {"car": "van", "pedestrian": "person_sitting"}  # lower-case names
N_SAMPLE_PTS = 41
NO_DETECTION = -10000000.0  # the reference's "no detection" score: a lower score is never picked


def gt_flags(name: np.ndarray, truncated: np.ndarray, occluded: np.ndarray, bbox: np.ndarray,
             cls: str) -> np.ndarray:
    """GT flags ``(3, N)`` int8 (0 counts, 1 ignored, -1 skipped) for lower-case class ``cls``.

    ``name`` ``(N,)`` lower-case, ``bbox`` ``(N, 4)``; the levels are cumulative.
    """
    height = bbox[:, 3] - bbox[:, 1]
    own = name == cls
    neighbour = name == NEIGHBOUR_CLASS.get(cls, None)
    flags = np.full((3, len(name)), -1, dtype=np.int8)
    for level in range(3):
        outside = ((occluded > MAX_OCCLUSION[level]) | (truncated > MAX_TRUNCATION[level])
                   | (height <= MIN_HEIGHT[level]))
        flags[level][neighbour | (own & outside)] = 1
        flags[level][own & ~outside] = 0
    return flags


def dt_flags(name: np.ndarray, bbox: np.ndarray, cls: str) -> np.ndarray:
    """Detection flags ``(3, N)`` int8: 1 if the 2D height is below the level's minimum, else 0 for ``cls``, else -1."""
    height = np.abs(bbox[:, 3] - bbox[:, 1])
    flags = np.where(name == cls, 0, -1).astype(np.int8)[None].repeat(3, axis=0)
    for level in range(3):
        flags[level][height < MIN_HEIGHT[level]] = 1
    return flags


def recall_thresholds(tp_scores: np.ndarray, num_gt: int, num_points: int = N_SAMPLE_PTS) -> np.ndarray:
    """Score thresholds at evenly spaced recall positions ``(T,)``, ``T <= num_points`` (``get_thresholds``).

    With the TP scores sorted in decreasing order, score ``i`` is taken when recall ``(i + 1) / num_gt``
    is at least as close to the next position as recall ``(i + 2) / num_gt``; the last score is
    always taken. The position advances by ``1 / (num_points - 1)`` per taken score.
    """
    scores = np.sort(np.asarray(tp_scores, dtype=np.float64))[::-1]
    n = len(scores)
    if n == 0:
        return scores
    index = np.arange(n)
    left = (index + 1) / num_gt
    right = np.where(index < n - 1, (index + 2) / num_gt, left)
    taken, current, start = [], 0.0, 0
    while start < n:
        skip = ((right[start:] - current) < (current - left[start:])) & (index[start:] < n - 1)
        pick = start + int(np.argmin(skip))  # the first score not skipped (the last never is)
        taken.append(scores[pick])
        current += 1 / (num_points - 1.0)
        start = pick + 1
    return np.asarray(taken, dtype=np.float64)


@dataclass
class MatchInputs:
    """Everything the matching of one class, metric and IoU threshold needs.

    pair_gt, pair_dt, pair_overlap: ``(P,)`` GT index, detection index and overlap of the pairs that
    may match (overlap > 0 in the same frame). gt_frame ``(G,)``; gt_flag ``(3, G)``; gt_alpha ``(G,)``.
    dt_flag ``(3, D)``; dt_score ``(D,)``; dt_alpha ``(D,)``; dt_dontcare ``(D,)`` bool: covered by a
    DontCare box (all False except for the 2D box metric). n_frames: number of frames.
    """

    pair_gt: np.ndarray
    pair_dt: np.ndarray
    pair_overlap: np.ndarray
    gt_frame: np.ndarray
    gt_flag: np.ndarray
    gt_alpha: np.ndarray
    dt_flag: np.ndarray
    dt_score: np.ndarray
    dt_alpha: np.ndarray
    dt_dontcare: np.ndarray
    n_frames: int


@dataclass
class _Block:
    """Candidate pairs of ``B`` (level, frame) rows laid out densely, rows by decreasing GT count.

    level ``(B,)``; cand, overlap ``(B, G, D)``; gt_flag, gt_alpha ``(B, G)`` (padding flag -1);
    dt_flag, dt_score, dt_alpha, dt_dontcare ``(B, D)`` (padding flag -1); active ``(G,)``: rows that
    have a GT at each position.
    """

    level: np.ndarray
    cand: np.ndarray
    overlap: np.ndarray
    gt_flag: np.ndarray
    gt_alpha: np.ndarray
    dt_flag: np.ndarray
    dt_score: np.ndarray
    dt_alpha: np.ndarray
    dt_dontcare: np.ndarray
    active: np.ndarray


def _local_index(row: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rank of each id among the distinct ids of its row (increasing), per pair ``(P,)``.

    Also returns the distinct (row, id) entries: their row, id and rank.
    """
    span = int(ids.max()) + 1
    distinct, inverse = np.unique(row * span + ids, return_inverse=True)
    distinct_row, distinct_id = distinct // span, distinct % span
    rank = np.arange(len(distinct)) - np.searchsorted(distinct_row, distinct_row, side="left")
    return rank[inverse], distinct_row, distinct_id, rank


def _scatter(shape: tuple[int, ...], fill, index: tuple[np.ndarray, ...], values: np.ndarray) -> np.ndarray:
    """An array of ``shape`` filled with ``fill``, ``values`` at ``index`` (dtype of ``values``)."""
    out = np.full(shape, fill, dtype=values.dtype)
    out[index] = values
    return out


def _candidates(inputs: MatchInputs, min_overlap: float) -> tuple[np.ndarray, ...]:
    """(level, GT index, detection index, overlap) ``(C,)`` of the pairs that may match at each level."""
    parts = []
    for level in range(3):
        keep = ((inputs.pair_overlap > min_overlap) & (inputs.gt_flag[level, inputs.pair_gt] != -1)
                & (inputs.dt_flag[level, inputs.pair_dt] != -1))
        parts.append((np.full(int(keep.sum()), level), inputs.pair_gt[keep], inputs.pair_dt[keep],
                      inputs.pair_overlap[keep]))
    return tuple(np.concatenate(p) for p in zip(*parts))


def _blocks(inputs: MatchInputs, min_overlap: float) -> list[_Block]:
    """The candidate pairs (overlap > min_overlap, neither flag -1) of every level, in dense blocks.

    One row per (level, frame) with candidates. Rows are grouped by their number of candidate
    detections (up to 1, 2, 4, 8, ...) so that a crowded frame does not pad the others.
    """
    level, gt, dt, overlap = _candidates(inputs, min_overlap)
    if len(gt) == 0:
        return []
    rows, row = np.unique(level * inputs.n_frames + inputs.gt_frame[gt], return_inverse=True)
    row_level = rows // inputs.n_frames
    gt_rank, gt_row, gt_id, gt_slot = _local_index(row, gt)
    dt_rank, dt_row, dt_id, dt_slot = _local_index(row, dt)
    n_gt, n_dt = np.bincount(gt_row, minlength=len(rows)), np.bincount(dt_row, minlength=len(rows))
    group = np.ceil(np.log2(n_dt)).astype(np.int64)
    blocks = []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        members = members[np.argsort(-n_gt[members], kind="stable")]
        at = np.full(len(rows), -1)
        at[members] = np.arange(len(members))
        b, gmax, dmax = len(members), int(n_gt[members].max()), int(n_dt[members].max())
        pair = at[row] >= 0
        pair_at = (at[row[pair]], gt_rank[pair], dt_rank[pair])
        gsel, dsel = at[gt_row] >= 0, at[dt_row] >= 0
        gt_at, gid = (at[gt_row[gsel]], gt_slot[gsel]), gt_id[gsel]
        dt_at, did = (at[dt_row[dsel]], dt_slot[dsel]), dt_id[dsel]
        blocks.append(_Block(
            level=row_level[members],
            cand=_scatter((b, gmax, dmax), False, pair_at, np.ones(int(pair.sum()), dtype=bool)),
            overlap=_scatter((b, gmax, dmax), 0.0, pair_at, overlap[pair]),
            gt_flag=_scatter((b, gmax), -1, gt_at, inputs.gt_flag[row_level[gt_row[gsel]], gid]),
            gt_alpha=_scatter((b, gmax), 0.0, gt_at, inputs.gt_alpha[gid]),
            dt_flag=_scatter((b, dmax), -1, dt_at, inputs.dt_flag[row_level[dt_row[dsel]], did]),
            dt_score=_scatter((b, dmax), -np.inf, dt_at, inputs.dt_score[did]),
            dt_alpha=_scatter((b, dmax), 0.0, dt_at, inputs.dt_alpha[did]),
            dt_dontcare=_scatter((b, dmax), False, dt_at, inputs.dt_dontcare[did]),
            active=(n_gt[members][None, :] > np.arange(gmax)[:, None]).sum(axis=1),
        ))
    return blocks


def _greedy(block: _Block, thresholds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Assign detections to the GT objects of each row, in GT order, at each score threshold.

    thresholds: ``(B, T)``, or None to pick by score (collecting thresholds, ``T = 1``). Returns
    ``chosen (B, T, G)`` (local detection index, -1 for none) and ``assigned (B, T, D)`` bool.
    """
    b, gmax, dmax = block.cand.shape
    t = 1 if thresholds is None else thresholds.shape[1]
    assigned = np.zeros((b, t, dmax), dtype=bool)
    chosen = np.full((b, t, gmax), -1, dtype=np.int64)
    if thresholds is None:
        eligible = (block.dt_score > NO_DETECTION)[:, None, :]
    else:
        eligible = block.dt_score[:, None, :] >= thresholds[:, :, None]
    valid_flag = (block.dt_flag == 0)[:, None, :]
    for g in range(gmax):
        m = block.active[g]
        free = block.cand[:m, g, None, :] & ~assigned[:m] & eligible[:m]  # (m, T, D)
        if thresholds is None:
            found = free.any(axis=2)
            pick = np.where(free, block.dt_score[:m, None, :], -np.inf).argmax(axis=2)
        else:
            valid = free & valid_flag[:m]
            has_valid = valid.any(axis=2)
            best = np.where(valid, block.overlap[:m, g, None, :], -np.inf).argmax(axis=2)
            pick = np.where(has_valid, best, free.argmax(axis=2))  # else the first ignored one
            found = has_valid | free.any(axis=2)
        pick = np.where(found, pick, -1)
        r, s = np.nonzero(found)
        assigned[r, s, pick[r, s]] = True
        chosen[:m, :, g] = pick
    return chosen, assigned


def _true_positives(block: _Block, chosen: np.ndarray) -> np.ndarray:
    """Which GT positions hold a TP: ``(B, T, G)`` bool (both flags 0)."""
    dt_flag = np.take_along_axis(block.dt_flag[:, None, :], np.maximum(chosen, 0), axis=2)
    return (chosen >= 0) & (block.gt_flag[:, None, :] == 0) & (dt_flag == 0)


def _level_thresholds(blocks: list[_Block], inputs: MatchInputs) -> list[np.ndarray]:
    """Score thresholds of each level (``get_thresholds`` on the TP scores picked by score)."""
    scores = [[], [], []]
    for block in blocks:
        chosen, _ = _greedy(block, None)
        tp = _true_positives(block, chosen)[:, 0, :]
        r, g = np.nonzero(tp)
        score = block.dt_score[r, chosen[r, 0, g]]
        for level in range(3):
            scores[level].append(score[block.level[r] == level])
    num_gt = (inputs.gt_flag == 0).sum(axis=1)
    return [recall_thresholds(np.concatenate(s) if s else np.zeros(0), int(num_gt[level]))
            for level, s in enumerate(scores)]


def _counts(blocks: list[_Block], thresholds: np.ndarray, with_aos: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per level and threshold ``(3, T)``: TPs, counted detections assigned to some GT, TP orientation similarity.

    A detection counts (may be a false positive) when its flag is 0 and no DontCare box covers it.
    """
    tp, matched, similarity = (np.zeros(thresholds.shape) for _ in range(3))
    for block in blocks:
        chosen, assigned = _greedy(block, thresholds[block.level])
        is_tp = _true_positives(block, chosen)
        counted = (block.dt_flag == 0) & ~block.dt_dontcare
        per_row = {"tp": is_tp.sum(axis=2), "matched": (assigned & counted[:, None, :]).sum(axis=2)}
        if with_aos:
            dt_alpha = np.take_along_axis(block.dt_alpha[:, None, :], np.maximum(chosen, 0), axis=2)
            cos_sim = (1.0 + np.cos(block.gt_alpha[:, None, :] - dt_alpha)) / 2.0
            per_row["similarity"] = np.where(is_tp, cos_sim, 0.0).sum(axis=2)
        for level in range(3):
            rows = block.level == level
            tp[level] += per_row["tp"][rows].sum(axis=0)
            matched[level] += per_row["matched"][rows].sum(axis=0)
            if with_aos:
                similarity[level] += per_row["similarity"][rows].sum(axis=0)
    return tp, matched, similarity


def precision_curves(inputs: MatchInputs, min_overlap: float, with_aos: bool
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """Interpolated precision (and orientation similarity) at the 41 recall positions: ``(3, 41)`` each.

    Position ``i`` holds the value at the ``i``-th score threshold, replaced by the maximum over the
    positions that follow; positions beyond the last threshold stay 0. A threshold with neither a
    TP nor an FP gives 0 (the reference divides 0 by 0 there). False positives: the counted
    detections scoring at least the threshold, less those assigned to a GT.
    """
    blocks = _blocks(inputs, min_overlap)
    thresholds = _level_thresholds(blocks, inputs)
    padded = np.full((3, max(1, *(len(t) for t in thresholds))), np.inf)  # +inf: no detection passes
    for level, t in enumerate(thresholds):
        padded[level, : len(t)] = t
    tp, matched, similarity = _counts(blocks, padded, with_aos)
    precision, aos = np.zeros((3, N_SAMPLE_PTS)), np.zeros((3, N_SAMPLE_PTS))
    for level, t in enumerate(thresholds):
        counted = np.sort(inputs.dt_score[(inputs.dt_flag[level] == 0) & ~inputs.dt_dontcare])
        above = len(counted) - np.searchsorted(counted, t, side="left")  # scores >= each threshold
        n = len(t)
        positives = tp[level, :n] + above - matched[level, :n]
        safe = np.where(positives > 0, positives, 1.0)
        precision[level, :n] = np.where(positives > 0, tp[level, :n] / safe, 0.0)
        aos[level, :n] = np.where(positives > 0, similarity[level, :n] / safe, 0.0)
    precision = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    aos = np.maximum.accumulate(aos[:, ::-1], axis=1)[:, ::-1]
    return precision, (aos if with_aos else None)

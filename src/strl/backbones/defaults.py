"""The neighbours ``k`` of each DGCNN backbone's k-NN graph when none is given: the one table.

The values are those of the original configurations: the classification and part-segmentation
encoders use k = 40, the semantic-segmentation encoder k = 20. A checkpoint that does not describe
its k is loaded with this default (with a warning naming it: k cannot be read from the weights).
"""

from __future__ import annotations

DEFAULT_K: dict[str, int] = {"dgcnn": 40, "dgcnn-semseg": 20, "dgcnn-partseg": 40}


def resolve_k(backbone: str, k: int | None = None) -> int | None:
    """``k`` when given (and not 0), else the backbone's default; None for backbones without a k-NN graph."""
    return k if k else DEFAULT_K.get(backbone)

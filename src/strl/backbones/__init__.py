"""Point-cloud encoders. Every backbone maps ``(B, N, 3)`` to a pooled feature ``(B, feature_dim)``.

``BACKBONES[name](**kwargs)`` builds one; a new backbone is a new module plus one line here.
The DGCNN backbones' default ``k`` is :data:`DEFAULT_K` (:mod:`strl.backbones.defaults`).
"""

from __future__ import annotations

from torch import nn

from strl.backbones.defaults import DEFAULT_K, resolve_k
from strl.backbones.dgcnn import DGCNN
from strl.backbones.dgcnn_partseg import DGCNNPartSeg
from strl.backbones.dgcnn_semseg import DGCNNSemSeg
from strl.backbones.pointnet import PointNet
from strl.registry import Registry

BACKBONES: Registry = Registry("backbone")
BACKBONES.register("pointnet")(lambda k=None, emb_dims=1024, **_: PointNet(emb_dims=emb_dims))
BACKBONES.register("dgcnn")(lambda k=None, emb_dims=1024, **_: DGCNN(k=resolve_k("dgcnn", k), emb_dims=emb_dims))
BACKBONES.register("dgcnn-semseg")(
    lambda k=None, emb_dims=1024, **_: DGCNNSemSeg(k=resolve_k("dgcnn-semseg", k), emb_dims=emb_dims))
BACKBONES.register("dgcnn-partseg")(
    lambda k=None, emb_dims=1024, **_: DGCNNPartSeg(k=resolve_k("dgcnn-partseg", k), emb_dims=emb_dims))


@BACKBONES.register("votenet")
def _votenet(k=None, emb_dims=None, npoints=None, **_):
    """VoteNet's PointNet++ backbone; ``npoints``: sample counts of sa1..sa4 (None: VoteNet's)."""
    from strl.backbones.pointnet2 import VoteNetBackbone

    return VoteNetBackbone() if not npoints else VoteNetBackbone(npoints=tuple(npoints))


@BACKBONES.register("pointpillars")
def _pointpillars(k=None, emb_dims=None, config="pointpillars-kitti", **_):
    """PointPillars' ``vfe`` + ``backbone_2d`` (OpenPCDet keys), max ‖ mean pooled over the BEV map:
    LiDAR-frame metres ``(B, N, 3 | 4)`` -> ``(B, 2 * backbone channels)``. Default config
    ``pointpillars-kitti`` (``(B, 768)``): range [0, -39.68, -3, 69.12, 39.68, 1], 0.16 m pillars of
    <= 32 points, BEV backbone 64/128/256 filters; ``pointpillars-laptop`` (``(B, 384)``) is reduced.
    ``emb_dims`` is ignored (the config sets the width)."""
    from strl.detection.pointpillars.encoder import PointPillarsEncoder

    return PointPillarsEncoder(config)


def build_backbone(name: str, k: int | None = None, emb_dims: int = 1024, config: str | dict | None = None,
                   npoints=None) -> nn.Module:
    """Build a registered backbone by name. ``k`` (None or 0: the backbone's default,
    :data:`DEFAULT_K`) is ignored by backbones without a k-NN graph; ``config`` is the detector
    configuration of ``pointpillars`` (None or '': ``pointpillars-kitti``; a preset name or a
    ``PointPillarsConfig.describe()`` dict), which sets its grid and width; ``npoints`` (the VoteNet
    backbone's set-abstraction sample counts; None: its default) is ignored by the others."""
    kwargs = {"emb_dims": emb_dims}
    if k is not None:
        kwargs["k"] = k
    if config:
        kwargs["config"] = config
    if npoints:
        kwargs["npoints"] = npoints
    return BACKBONES[name](**kwargs)


def build_described_backbone(description: dict) -> nn.Module:
    """The (untrained) backbone a checkpoint description names: ``backbone``, ``k``, ``emb_dims`` and,
    for PointPillars, its detector configuration: ``detector_config`` (a preset name or a
    ``PointPillarsConfig.describe()`` dict), else ``config`` (the preset name ``strl pretrain`` records)."""
    config = description.get("detector_config") or description.get("config")
    return build_backbone(description["backbone"], k=description.get("k"), emb_dims=description.get("emb_dims") or 1024,
                          config=config, npoints=description.get("npoints"))

"""From configuration names to data: pre-training sequences and labelled evaluation sets.

Each data source is one small builder function registered by name; readers are imported lazily so
an unused format costs nothing.
"""

from __future__ import annotations

import logging
import os

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet, CloudsAsSequences, SequenceSet
from strl.registry import Registry

PRETRAIN_SOURCES: Registry = Registry("pre-training dataset")
EVAL_SOURCES: Registry = Registry("evaluation dataset")
SCENE_SOURCES: Registry = Registry("labelled scene dataset")
log = logging.getLogger("strl")


def _need_root(root: str, what: str) -> str:
    if not root:
        raise ConfigError(f"dataset {what!r} needs a path: give --root (or --eval-root) pointing to it")
    if not os.path.exists(root):
        raise DataError(root, f"{what} data not found (no such file or folder)")
    return root


BUILTIN_SIZES = {
    "default": {},
    "small": dict(sequences_per_class=3, frames=4, eval_train_per_class=5, eval_test_per_class=3, surface_points=4096),
}


def builtin_data(seed: int = 0, cache_dir: str = "", size: str = "default"):
    """The package's own synthetic dataset (generated once, then cached)."""
    from strl.formats.builtin import BuiltinConfig, BuiltinData

    if size not in BUILTIN_SIZES:
        raise ConfigError(f"unknown builtin_size {size!r}; known: {', '.join(BUILTIN_SIZES)}")
    return BuiltinData(BuiltinConfig(seed=seed, **BUILTIN_SIZES[size]), cache_dir=cache_dir or None)


@PRETRAIN_SOURCES.register("builtin")
def _builtin_sequences(cfg) -> SequenceSet:
    return builtin_data(cfg.builtin_seed, cfg.cache_dir, cfg.builtin_size).sequences()


def builtin_rooms_data(seed: int = 0, cache_dir: str = "", size: str = "default"):
    """The package's own furnished rooms (generated once, then cached); ``size`` names
    :data:`strl.formats.builtin_rooms.SIZES`."""
    from strl.formats.builtin_rooms import load_rooms

    return load_rooms(size, seed, cache_dir)


@PRETRAIN_SOURCES.register("builtin-rooms")
def _builtin_rooms_frames(cfg) -> SequenceSet:
    """Depth frames of a camera walking through the built-in rooms (use the ``scene`` pipeline, up axis z)."""
    return builtin_rooms_data(cfg.builtin_seed, cfg.cache_dir, cfg.builtin_size).frames(seed=cfg.seed)


@PRETRAIN_SOURCES.register("builtin-streets")
def _builtin_streets(cfg) -> SequenceSet:
    """LiDAR sweeps of the built-in streets, read as KITTI odometry sequences (use the scene pipeline)."""
    from strl.formats.builtin_streets import builtin_streets_sequences

    return builtin_streets_sequences(cfg.builtin_seed, cfg.builtin_size, cfg.cache_dir or None,
                                     max_range=cfg.max_range or None, subset_seed=cfg.seed)


@PRETRAIN_SOURCES.register("shapenet")
def _shapenet(cfg) -> SequenceSet:
    from strl.formats.shapenet import ShapeNetNPZ

    return CloudsAsSequences(ShapeNetNPZ(_need_root(cfg.root, "shapenet")))


@PRETRAIN_SOURCES.register("shapenet-views")
def _shapenet_views(cfg) -> SequenceSet:
    """ShapeNet clouds seen by a virtual camera circling each object: temporal pairs of partial views."""
    from strl.formats.shapenet import ShapeNetNPZ
    from strl.sequences.render import RenderedViews

    clouds = ShapeNetNPZ(_need_root(cfg.root, "shapenet"))
    return RenderedViews(clouds, frames=8, points_per_frame=cfg.frame_points or cfg.num_points, seed=cfg.seed)


@PRETRAIN_SOURCES.register("scannet")
def _scannet_frames(cfg) -> SequenceSet:
    """RGB-D frame sequences (``scannet_frames_25k`` or any folder in its layout), training scenes."""
    from strl.sequences.rgbd import RGBDSequences

    return RGBDSequences(_need_root(cfg.root, "scannet"), split="train", val_fraction=cfg.val_fraction,
                         pixel_stride=cfg.depth_stride, depth_scale=cfg.depth_scale, seed=cfg.seed)


@PRETRAIN_SOURCES.register("kitti")
def _kitti(cfg) -> SequenceSet:
    """LiDAR sweeps in the KITTI odometry layout, registered with the poses."""
    from strl.sequences.kitti import KittiSequences

    return KittiSequences(_need_root(cfg.root, "kitti"), max_range=cfg.max_range or None, seed=cfg.seed)


@PRETRAIN_SOURCES.register("kitti-raw")
def _kitti_raw(cfg) -> SequenceSet:
    """LiDAR sweeps of KITTI raw drives, registered with the OXTS poses (every drive under the root),
    less the raw frames within ``cfg.exclude_window`` frames of the KITTI object frames of
    ``cfg.exclude_object_split`` (found with the devkit mapping under ``cfg.object_root``)."""
    from strl.sequences.kitti_raw import KittiRawSequences

    root = _need_root(cfg.root, "kitti-raw")
    exclude = None
    if cfg.exclude_object_split:
        from strl.formats.kitti_mapping import frames_near, split_frames

        object_frames = split_frames(_need_root(cfg.object_root, "kitti object"), cfg.exclude_object_split)
        exclude = frames_near(object_frames, cfg.exclude_window)
    seqs = KittiRawSequences(root, max_range=cfg.max_range or None, seed=cfg.seed, exclude=exclude)
    if exclude is not None:
        kept = sum(seqs.num_frames(s) for s in range(len(seqs)))
        log.info("kitti-raw: left out %d of %d raw frames within %d frames of the %d KITTI object %s frames "
                 "(%s); %d frames in %d runs remain", seqs.excluded, seqs.excluded + kept, cfg.exclude_window,
                 len(object_frames), cfg.exclude_object_split, cfg.object_root, kept, len(seqs))
    return seqs


@PRETRAIN_SOURCES.register("modelnet40")
def _modelnet_pretrain(cfg) -> SequenceSet:
    """The training shapes of either ModelNet40 layout, every point the files hold (10,000 in the
    normal-resampled text files, 2048 in the HDF5 release)."""
    from strl.formats.modelnet import load_modelnet

    root = _need_root(cfg.root, "modelnet40")
    return CloudsAsSequences(load_modelnet(root, "train", num_points=None, cache_dir=cfg.cache_dir or None))


@PRETRAIN_SOURCES.register("folder")
def _folder(cfg) -> SequenceSet:
    from strl.formats.folder import load_folder

    return load_folder(_need_root(cfg.root, "folder"), seed=cfg.seed).as_sequences()


def pretrain_sequences(cfg) -> SequenceSet:
    """The :class:`SequenceSet` named by ``cfg.dataset`` (with ``cfg.root``)."""
    return PRETRAIN_SOURCES[cfg.dataset](cfg)


@EVAL_SOURCES.register("builtin")
def _builtin_eval(root: str, split: str, num_points: int, cache_dir: str = "", seed: int = 0, size: str = "default") -> CloudSet:
    return builtin_data(seed, cache_dir, size).clouds(split)


def _modelnet_eval(variant: str):
    def load(root: str, split: str, num_points: int, cache_dir: str = "", seed: int = 0, size: str = "default") -> CloudSet:
        from strl.formats.modelnet import load_modelnet

        return load_modelnet(_need_root(root, variant), split, variant=variant, num_points=num_points, cache_dir=cache_dir or None)

    return load


EVAL_SOURCES.register("modelnet40")(_modelnet_eval("modelnet40"))
EVAL_SOURCES.register("modelnet10")(_modelnet_eval("modelnet10"))


def _scanobjectnn_eval(variant: str):
    def load(root: str, split: str, num_points: int, cache_dir: str = "", seed: int = 0, size: str = "default") -> CloudSet:
        from strl.formats.scanobjectnn import load_scanobjectnn

        return load_scanobjectnn(_need_root(root, "scanobjectnn"), split, variant=variant)

    return load


for _variant in ("OBJ_BG", "OBJ_ONLY", "PB_T50_RS"):
    EVAL_SOURCES.register("scanobjectnn-" + _variant.lower().replace("_", "-"))(_scanobjectnn_eval(_variant))


def eval_clouds(name: str, root: str, split: str, num_points: int, cache_dir: str = "", seed: int = 0, size: str = "default") -> CloudSet:
    """Labelled clouds of an evaluation set's ``split`` ("train" or "test"); ``size`` is the built-in data's."""
    clouds = EVAL_SOURCES[name](root, split, num_points, cache_dir=cache_dir, seed=seed, size=size)
    if getattr(clouds, "labels", None) is None:
        raise DataError(root or name, "evaluation data carries no class labels")
    return clouds


@SCENE_SOURCES.register("builtin-rooms")
def _builtin_rooms_scenes(root: str, split: str, cache_dir: str = "", seed: int = 0, size: str = "default"):
    return builtin_rooms_data(seed, cache_dir, size).scenes(split)


@SCENE_SOURCES.register("scannet")
def _scannet_scenes(root: str, split: str, cache_dir: str = "", seed: int = 0, size: str = "default"):
    from strl.formats.scannet_detection import ScanNetDetection

    return ScanNetDetection(_need_root(root, "scannet"), split)


@SCENE_SOURCES.register("sunrgbd")
def _sunrgbd_scenes(root: str, split: str, cache_dir: str = "", seed: int = 0, size: str = "default"):
    from strl.formats.sunrgbd import SunRGBDVotes

    return SunRGBDVotes(_need_root(root, "sunrgbd"), split)


def scene_set(name: str, root: str, split: str, cache_dir: str = "", seed: int = 0, size: str = "default"):
    """The labelled scenes (a :class:`~strl.formats.scenes.SceneSet`) of ``split`` of a scene
    dataset: ``builtin-rooms`` (train / val / test; ``size`` and ``seed`` pick the rooms),
    ``scannet`` (VoteNet's prepared data, train / val) or ``sunrgbd`` (train / val)."""
    return SCENE_SOURCES[name](root, split, cache_dir=cache_dir, seed=seed, size=size)

"""3D detection: one ``strl finetune detect`` for indoor scenes (VoteNet) and LiDAR sweeps (PointPillars).

The dataset picks the detector: ``scannet``, ``sunrgbd`` and ``builtin-rooms`` fine-tune VoteNet
(:mod:`strl.tasks.detect_indoor`); ``kitti`` and ``builtin-streets`` fine-tune PointPillars
(:mod:`strl.tasks.detect_outdoor`). Without ``--preset``, the preset follows the checkpoint's
encoder (a VoteNet backbone: ``rooms-votenet``; a PointPillars one: ``pointpillars-streets``).
"""

from __future__ import annotations

from typing import Literal

from strl.finetune.settings import FinetuneSettings
from strl.settings.schema import Settings
from strl.tasks.base import Task
from strl.tasks.detect_indoor import INDOOR_DATASETS, INDOOR_PRESETS, IndoorDetection, VoteNetSettings
from strl.tasks.detect_outdoor import OUTDOOR_DATASETS, OUTDOOR_PRESETS, OutdoorDetection, PointPillarsSettings


class DetectDataSettings(Settings):
    """Data: labelled scenes or sweeps."""

    dataset: Literal[INDOOR_DATASETS + OUTDOOR_DATASETS] = "builtin-rooms"
    """labelled dataset: indoor ones fine-tune VoteNet, outdoor ones PointPillars"""
    root: str = ""
    """dataset folder: VoteNet's prepared ScanNet / SUN RGB-D data, or the KITTI object folder"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in rooms or streets"""
    builtin_seed: int = 0
    """seed of the built-in rooms or streets"""
    cache_dir: str = ""
    """cache of generated data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""


class DetectSettings(DetectDataSettings, VoteNetSettings, PointPillarsSettings, FinetuneSettings):
    """All settings of ``strl finetune detect``."""


#: the preset used without --preset, by the checkpoint encoder's backbone
PRESET_FOR_BACKBONE = {"votenet": "rooms-votenet", "pointpillars": "pointpillars-streets"}


class DetectTask(Task):
    """Delegates to the indoor or outdoor detection task the dataset names."""

    name = "detect"
    settings = DetectSettings
    presets = {**INDOOR_PRESETS, **OUTDOOR_PRESETS}
    default_preset = "rooms-votenet"
    backbones = ("votenet", "pointpillars")

    def __init__(self):
        self._impls = {}
        self.impl = None

    def _for(self, dataset: str):
        kind = IndoorDetection if dataset in INDOOR_DATASETS else OutdoorDetection
        if kind not in self._impls:
            self._impls[kind] = kind()
        self.impl = self._impls[kind]
        return self.impl

    @property
    def selection_metric(self) -> str:
        return (self.impl or IndoorDetection).selection_metric

    @property
    def report_metrics(self) -> tuple[str, ...]:
        return (self.impl or IndoorDetection).report_metrics

    def preset_for_checkpoint(self, backbone: str) -> str | None:
        return PRESET_FOR_BACKBONE.get(backbone)

    def data(self, cfg, fraction, seed):
        return self._for(cfg.dataset).data(cfg, fraction, seed)

    def build_model(self, cfg, encoder, info):
        return self._for(info["dataset"]).build_model(cfg, encoder, info)

    def loss(self, model, batch, cfg):
        return self._for(cfg.dataset).loss(model, batch, cfg)

    def batch_size(self, batch) -> int:
        return self.impl.batch_size(batch)

    def evaluate(self, model, split, cfg, device):
        return self._for(cfg.dataset).evaluate(model, split, cfg, device)

    def head_description(self, info):
        return {"dataset": info["dataset"], **self._for(info["dataset"]).head_description(info)}

    def rebuild_model(self, encoder, head, cfg=None):
        return self._for(head["dataset"]).rebuild_model(encoder, head, cfg)

    def extra_outputs(self, record, metrics, folder):
        return self.impl.extra_outputs(record, metrics, folder)

    def downstream_export(self, model, meta):
        return self._for(meta["head"]["dataset"]).downstream_export(model, meta)

    def check_encoder(self, cfg, backbone: str, source: str) -> None:
        """The encoder must be the dataset's detector backbone."""
        from strl.errors import ConfigError

        want = "votenet" if cfg.dataset in INDOOR_DATASETS else "pointpillars"
        if backbone != want:
            raise ConfigError(f"{source}; --dataset {cfg.dataset} fine-tunes {want} (pick another --dataset or "
                              f"pre-train a {want} encoder)")

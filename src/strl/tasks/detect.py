"""3D detection: one ``strl finetune detect`` for indoor scenes (VoteNet) and LiDAR sweeps (PointPillars).

The dataset picks the detector family: ``scannet``, ``sunrgbd`` and ``builtin-rooms`` fine-tune
VoteNet (:mod:`strl.tasks.detect_indoor`); ``kitti`` and ``builtin-streets`` fine-tune PointPillars
(:mod:`strl.tasks.detect_outdoor`). Each family module defines ``DATASETS`` (tuple of names),
``PRESETS``, ``SETTINGS`` (its settings group; field names distinct across families), ``BACKBONE``
(the encoder it fine-tunes) and ``TASK`` (a :class:`~strl.tasks.base.Task` class). Without
``--preset``, the preset follows the checkpoint's encoder (see ``PRESET_FOR_BACKBONE``).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Literal

from strl.finetune.settings import FinetuneSettings
from strl.settings.schema import Settings
from strl.tasks.base import Task

#: detector families, in the order their settings groups appear in --help
FAMILY_MODULES = ("strl.tasks.detect_indoor", "strl.tasks.detect_outdoor")
FAMILIES = [importlib.import_module(m) for m in FAMILY_MODULES if importlib.util.find_spec(m) is not None]
DATASETS = tuple(name for family in FAMILIES for name in family.DATASETS)
#: the preset used without --preset, by the checkpoint encoder's backbone
PRESET_FOR_BACKBONE = {"votenet": "rooms-votenet", "pointpillars": "pointpillars-streets"}


class DetectDataSettings(Settings):
    """Data: labelled scenes or sweeps."""

    dataset: Literal[DATASETS] = DATASETS[0]
    """labelled dataset: indoor ones fine-tune VoteNet, outdoor ones PointPillars"""
    root: str = ""
    """dataset folder: VoteNet's prepared ScanNet / SUN RGB-D data, or the KITTI object folder"""
    builtin_size: Literal["default", "small"] = "default"
    """size of the built-in rooms or streets"""
    builtin_seed: int = 0
    """seed of the built-in rooms or streets"""
    cache_dir: str = ""
    """cache of generated data ('': $STRL_CACHE_DIR or ~/.cache/strl)"""


DetectSettings = type("DetectSettings", (DetectDataSettings, *(f.SETTINGS for f in FAMILIES), FinetuneSettings),
                      {"__doc__": "All settings of ``strl finetune detect``.", "__module__": __name__})


def family_of(dataset: str):
    return next(f for f in FAMILIES if dataset in f.DATASETS)


class DetectTask(Task):
    """Delegates to the detector family of the dataset in use."""

    name = "detect"
    settings = DetectSettings
    presets = {name: preset for f in FAMILIES for name, preset in f.PRESETS.items()}
    default_preset = PRESET_FOR_BACKBONE[FAMILIES[0].BACKBONE]
    backbones = tuple(f.BACKBONE for f in FAMILIES)

    def __init__(self):
        self._tasks: dict = {}
        self.impl = None

    def _for(self, dataset: str) -> Task:
        family = family_of(dataset)
        if family.__name__ not in self._tasks:
            self._tasks[family.__name__] = family.TASK()
        self.impl = self._tasks[family.__name__]
        return self.impl

    @property
    def selection_metric(self) -> str:
        return (self.impl or FAMILIES[0].TASK).selection_metric

    @property
    def report_metrics(self) -> tuple[str, ...]:
        return (self.impl or FAMILIES[0].TASK).report_metrics

    @property
    def table_metrics(self) -> tuple[str, ...]:
        return (self.impl or FAMILIES[0].TASK).table_metrics

    def preset_for_checkpoint(self, backbone: str) -> str | None:
        return PRESET_FOR_BACKBONE.get(backbone)

    def check_encoder(self, cfg, backbone: str, source: str) -> None:
        from strl.errors import ConfigError

        want = family_of(cfg.dataset).BACKBONE
        if backbone != want:
            raise ConfigError(f"{source}; --dataset {cfg.dataset} fine-tunes a {want} detector "
                              f"(pick another --dataset, or pre-train a {want} encoder)")

    def data(self, cfg, fraction, seed):
        return self._for(cfg.dataset).data(cfg, fraction, seed)

    def build_model(self, cfg, encoder, info):
        return self._for(info["dataset"]).build_model(cfg, encoder, info)

    def loss(self, model, batch, cfg):
        return self._for(cfg.dataset).loss(model, batch, cfg)

    def batch_size(self, batch) -> int:
        return self.impl.batch_size(batch)

    def on_train_epoch_start(self, model, epoch, cfg):
        return self._for(cfg.dataset).on_train_epoch_start(model, epoch, cfg)

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

    def downstream_extras(self, model, meta):
        return self._for(meta["head"]["dataset"]).downstream_extras(model, meta)

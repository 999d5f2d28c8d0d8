"""Downstream tasks for ``strl finetune``, one module each; ``task_class(name)`` imports one lazily."""

from __future__ import annotations

import importlib

from strl.errors import ConfigError

#: task name -> "module:class"
TASKS = {
    "classify": "strl.tasks.classify:ClassifyTask",
    "partseg": "strl.tasks.partseg:PartSegTask",
    "semseg": "strl.tasks.semseg:SemSegTask",
    "detect": "strl.tasks.detect:DetectTask",
}


def task_class(name: str):
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)

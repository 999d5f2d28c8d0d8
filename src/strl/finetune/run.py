"""``strl finetune TASK``: the protocol, then everything a run folder holds."""

from __future__ import annotations

import json
import os
import time

import numpy as np

from strl.finetune.report import format_table, metrics_document, plot_curves, plot_label_fractions, write_history_csv
from strl.finetune.runner import run_folder, run_protocol


def finetune(task, cfg, checkpoint: str | None, log=print) -> tuple[str, dict]:
    """Fine-tune as configured (``checkpoint`` None: from scratch only); returns the run folder and metrics.

    The folder holds ``config.yaml``, ``metrics.json``, ``logs/`` (per run and ``metrics.csv``),
    ``checkpoints/<run>/{best,last}.ckpt``, ``predictions.npz`` (test set of the first pre-trained
    run at its selected epoch; every run's under ``predictions/``), ``curves.png``, and
    ``label_fractions.png`` when several fractions ran; a task may add plots of its own.
    """
    from strl import __version__
    from strl.metrics.prediction_files import write_predictions
    from strl.settings import settings_yaml
    from strl.train.allocator import keep_freed_memory

    start = time.perf_counter()
    folder = run_folder(cfg, task.name)
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        f.write(settings_yaml(cfg.to_dict(), __version__))
    keep_freed_memory()
    summary, records = run_protocol(task, cfg, checkpoint, folder, log=log)
    metrics = metrics_document(task, cfg, summary, time.perf_counter() - start)
    metrics["checkpoint"] = checkpoint or ""
    os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
    write_history_csv(records, os.path.join(folder, "logs", "metrics.csv"))
    os.makedirs(os.path.join(folder, "predictions"), exist_ok=True)
    first = None
    for (fraction, init, seed), record in sorted(records.items(), key=lambda kv: (kv[0][1] != "pretrained", kv[0])):
        if record.predictions:
            write_predictions(os.path.join(folder, "predictions", f"{init}-frac{fraction:g}-seed{seed}.npz"), task.name,
                              **record.predictions)
            first = first or record
    if first is not None:
        write_predictions(os.path.join(folder, "predictions.npz"), task.name, **first.predictions)
        task.extra_outputs(first, metrics, folder)
    plot_curves(task, records, os.path.join(folder, "curves.png"))
    if len(summary) > 1:
        plot_label_fractions(task, summary, os.path.join(folder, "label_fractions.png"))
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump(_finite(metrics), f, indent=2, default=_plain, allow_nan=False)
    log(format_table(task, summary, cfg.seeds))
    return folder, metrics


def _finite(value):
    """``value`` with NaN and infinite numbers (scores never computed) as None, so the file is strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


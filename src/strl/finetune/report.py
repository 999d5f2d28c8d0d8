"""What a fine-tuning run reports: metrics.json, the printed table, logs/metrics.csv and plots."""

from __future__ import annotations

import csv
import os

import numpy as np

OPTIMISTIC = ("best_on_test: the best test score over epochs, the optimistic protocol of the reference code "
              "(the test set chooses the epoch); for comparison with published numbers only")


def metrics_document(task, cfg, summary: dict, seconds: float) -> dict:
    """metrics.json: the first label fraction's summary at the top level, every fraction under
    ``by_label_fraction``; fractions in 0..1."""
    first = f"{cfg.label_fraction[0]:g}"
    return {
        **summary[first],
        "task": task.name,
        "selection": f"the epoch with the best validation {task.selection_metric} (validation: "
                     f"{cfg.val_fraction:g} of the labelled training samples); *_last: the last epoch",
        "best_on_test": OPTIMISTIC,
        "seeds": list(cfg.seeds),
        "label_fraction": cfg.label_fraction[0],
        "by_label_fraction": summary,
        "seconds": seconds,
        "settings": cfg.to_dict(),
    }


def _pct(mean: float, std: float) -> str:
    return "n/a" if not np.isfinite(mean) else f"{100 * mean:5.1f} ± {100 * std:4.1f}"


def format_table(task, summary: dict, seeds: list[int]) -> str:
    """Pre-trained vs scratch per label fraction and metric: mean ± std over seeds, and the difference.
    The metrics are the task's ``table_metrics`` where it has them (a short list), else ``report_metrics``."""
    lines = [f"test scores over {len(seeds)} seed(s) (mean ± std, %), epoch selected on validation data:",
             f"{'labels':>7}  {'metric':<36} {'pre-trained':>13} {'scratch':>13} {'difference':>10}"]

    def row(fraction: str, label: str, key: str) -> str:
        pre = (part.get(key, np.nan), part.get(f"{key}_std", np.nan))
        scr = (part.get(f"{key}_scratch", np.nan), part.get(f"{key}_scratch_std", np.nan))
        diff = pre[0] - scr[0]
        return (f"{fraction:>7}  {label:<36} {_pct(*pre):>13} {_pct(*scr):>13} "
                f"{'' if not np.isfinite(diff) else f'{100 * diff:+.1f}':>10}")

    for fraction, part in summary.items():
        shown = f"{float(fraction):.0%}"
        for key in task.table_metrics or task.report_metrics:
            lines.append(row(shown, key, key))
            shown = ""
        key = task.selection_metric
        lines.append(row("", f"{key}, last epoch", f"{key}_last"))
        lines.append(row("", f"{key}, best on test (*)", f"{key}_best_on_test"))
    lines.append("(*) " + OPTIMISTIC)
    return "\n".join(lines)


def write_history_csv(records: dict, path: str) -> None:
    """One row per evaluated epoch of every run (logs/metrics.csv)."""
    keys = sorted({k for r in records.values() for row in r.history for k in row} - {"epoch"})
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label_fraction", "init", "seed", "epoch", *keys])
        for (fraction, init, seed), record in sorted(records.items()):
            for row in record.history:
                writer.writerow([fraction, init, seed, row["epoch"], *(row.get(k, "") for k in keys)])


def _figure(width: float = 7.0, height: float = 4.0):
    """A matplotlib Figure on the Agg canvas, without touching the global backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def plot_curves(task, records: dict, path: str) -> None:
    """Training loss, validation and test score per epoch: the mean over seeds, pre-trained vs scratch."""
    fig = _figure(10, 4)
    ax_loss, ax_score = fig.subplots(1, 2)
    key = task.selection_metric
    for init, colour in (("pretrained", "tab:blue"), ("scratch", "tab:orange")):
        runs = [r for (f, i, _), r in sorted(records.items()) if i == init and f == min(f for f, _, _ in records)]
        if not runs or not runs[0].history:
            continue
        epochs = [row["epoch"] for row in runs[0].history]
        mean = lambda name: np.nanmean([[row.get(name, np.nan) for row in r.history] for r in runs], axis=0)  # noqa: E731
        ax_loss.plot(epochs, mean("loss"), color=colour, label=init)
        ax_score.plot(epochs, 100 * mean(f"val/{key}"), color=colour, linestyle="--", label=f"{init}, validation")
        if f"test/{key}" in runs[0].history[0]:
            ax_score.plot(epochs, 100 * mean(f"test/{key}"), color=colour, label=f"{init}, test")
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss")
    ax_score.set(xlabel="epoch", ylabel=f"{key} (%)", title="validation and test (mean over seeds)")
    ax_loss.legend()
    ax_score.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_label_fractions(task, summary: dict, path: str) -> None:
    """Test score per label fraction, pre-trained vs scratch, error bars: std over seeds."""
    fig = _figure(6, 4)
    ax = fig.subplots()
    key = task.selection_metric
    fractions = sorted(summary, key=float)
    x = [100 * float(f) for f in fractions]
    for suffix, label, colour in (("", "pre-trained", "tab:blue"), ("_scratch", "scratch", "tab:orange")):
        mean = [100 * summary[f].get(f"{key}{suffix}", np.nan) for f in fractions]
        std = [100 * summary[f].get(f"{key}{suffix}_std", np.nan) for f in fractions]
        if np.isfinite(mean).any():
            ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, color=colour, label=label)
    ax.set(xscale="log", xlabel="labelled training samples (%)", ylabel=f"test {key} (%)",
           title="fine-tuning: score per label fraction")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_confusion(confusion: np.ndarray, class_names, path: str) -> None:
    """Row-normalised confusion matrix (rows: true class)."""
    n = confusion.shape[0]
    fig = _figure(1.5 + 0.35 * n, 1.2 + 0.35 * n)
    ax = fig.subplots()
    rows = confusion.sum(axis=1, keepdims=True)
    ax.imshow(confusion / np.maximum(rows, 1), cmap="Blues", vmin=0, vmax=1)
    names = class_names or [str(i) for i in range(n)]
    ax.set_xticks(range(n), names, rotation=90, fontsize=7)
    ax.set_yticks(range(n), names, fontsize=7)
    ax.set(xlabel="predicted", ylabel="true", title="test confusion (first pre-trained run)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)

"""What pre-training does with a sample whose file cannot be read: stop with the reader's error, or skip it.

A strl error raised inside a DataLoader worker would reach the main process as a ``RuntimeError``
holding a traceback. :class:`GuardedPairs` therefore catches it where the item is read and hands it
on inside the batch; :meth:`BadSampleLog.check`, called in the main process before a batch is used,
raises it as itself (policy ``"stop"``) or, with ``"skip"``, logs each bad file once, counts the
skipped samples, and stops anyway when more than ``max_bad_fraction`` of an epoch's samples are bad.

A skipped item is replaced by another item of the same epoch, chosen from ``(seed, epoch, index,
attempt)``, so the replacement is the same whichever worker or process loads it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import lightning as L
import numpy as np
from torch.utils.data import Dataset

from strl.errors import ConfigError, DataError, StrlError
from strl.sequences.pairs import PairDataset

log = logging.getLogger("strl")

POLICIES = ("stop", "skip")
REPLACEMENT_TRIES = 10  # other items tried in place of a bad one before giving up


def check_policy(policy: str, max_fraction: float) -> None:
    if policy not in POLICIES:
        raise ConfigError(f"on_bad_sample must be one of {', '.join(POLICIES)}, got {policy!r}")
    if not 0.0 <= max_fraction <= 1.0:
        raise ConfigError(f"max_bad_fraction must be in [0, 1], got {max_fraction}")


@dataclass(frozen=True)
class BadSample:
    """An item that could not be read: its ``(seed, epoch, index)`` key and the reader's error."""

    key: tuple[int, int, int]
    error: StrlError

    @property
    def where(self) -> str:
        """The bad file (or the message, for errors that name none)."""
        return getattr(self.error, "path", None) or str(self.error)


def replacement_index(seed: int, epoch: int, index: int, attempt: int, size: int) -> int:
    """The item that stands in for ``index`` at try ``attempt`` (1, 2, ...); never ``index`` itself."""
    r = int(np.random.default_rng([seed, epoch, index, attempt]).integers(size - 1))
    return (index + 1 + r) % size


class GuardedPairs(Dataset):
    """The items of a :class:`PairDataset`, with read errors handed on instead of raised.

    An item that raises a :class:`~strl.errors.StrlError` becomes ``{"error": exc}`` (policy
    ``"stop"``), or (``"skip"``) the first readable replacement item, carrying the failed reads
    as ``item["bad_samples"]``, a list of :class:`BadSample`.
    """

    def __init__(self, pairs: PairDataset, policy: str = "stop"):
        check_policy(policy, 0.0)
        self.pairs, self.policy = pairs, policy

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key) -> dict:
        index, epoch = key if isinstance(key, tuple) else (key, 0)
        seed, size = self.pairs.seed, len(self.pairs)
        tries = REPLACEMENT_TRIES if self.policy == "skip" and size > 1 else 0
        candidates = [index] + [replacement_index(seed, epoch, index, a, size) for a in range(1, tries + 1)]
        bad: list[BadSample] = []
        for j in candidates:
            try:
                item = self.pairs[(j, epoch)]
            except StrlError as exc:
                bad.append(BadSample((seed, epoch, j), exc))
                continue
            if bad:
                item["bad_samples"] = bad
            return item
        return {"error": bad[0].error}


def batch_problems(items: list[dict]) -> dict | None:
    """What a collate function returns for items of :class:`GuardedPairs`: ``{"error": exc}`` when an
    item holds an error, ``{"bad_samples": [...]}`` when items were replaced, else None."""
    errors = [item["error"] for item in items if "error" in item]
    if errors:
        return {"error": errors[0]}
    bad = [b for item in items for b in item.get("bad_samples", ())]
    return {"bad_samples": bad} if bad else None


class BadSampleLog:
    """Main-process side: raises a batch's error, or logs (once per file) and counts skipped samples.

    ``samples_per_epoch``: the samples this process loads per epoch, the base of ``max_fraction``.
    """

    def __init__(self, policy: str = "stop", max_fraction: float = 0.05, samples_per_epoch: int = 0):
        check_policy(policy, max_fraction)
        self.policy, self.max_fraction, self.samples_per_epoch = policy, max_fraction, samples_per_epoch
        self.count = 0
        self.per_epoch: dict[int, int] = {}
        self.logged: set[str] = set()

    def check(self, batch: dict) -> dict:
        """The batch without its ``bad_samples``; raises the error it carries or the one of too many skips."""
        if "error" in batch:
            raise batch["error"]
        for bad in batch.pop("bad_samples", None) or ():
            self._record(bad)
        return batch

    def _record(self, bad: BadSample) -> None:
        self.count += 1
        epoch = bad.key[1]
        in_epoch = self.per_epoch[epoch] = self.per_epoch.get(epoch, 0) + 1
        if bad.where not in self.logged:
            self.logged.add(bad.where)
            log.warning("skipped a bad sample (item %d of epoch %d): %s (%d skipped so far; later failures of "
                        "this file are counted, not logged)", bad.key[2], epoch, bad.error, self.count)
        if in_epoch > self.max_fraction * self.samples_per_epoch:
            problem = getattr(bad.error, "problem", str(bad.error))
            raise DataError(getattr(bad.error, "path", None),
                            f"{problem}; {in_epoch} of the {self.samples_per_epoch} samples of epoch {epoch} were bad, "
                            f"more than --max-bad-fraction {self.max_fraction:g}: stopping")

    def state_dict(self) -> dict:
        return {"count": self.count, "per_epoch": dict(self.per_epoch), "logged": sorted(self.logged)}

    def load_state_dict(self, state: dict) -> None:
        self.count = int(state.get("count", 0))
        self.per_epoch = {int(k): int(v) for k, v in state.get("per_epoch", {}).items()}
        self.logged = set(state.get("logged", ()))


class SkippedSampleCounter(L.Callback):
    """Logs the number of samples skipped so far (summed over processes) as ``train/skipped_samples``
    after each epoch."""

    def __init__(self, bad_samples: BadSampleLog):
        self.bad_samples = bad_samples

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pl_module.log("train/skipped_samples", float(self.bad_samples.count), on_epoch=True, sync_dist=True,
                      reduce_fx="sum")

    @staticmethod
    def total(trainer: L.Trainer, bad_samples: BadSampleLog) -> int:
        """The count over all processes as last logged (this process's count if none was)."""
        logged = trainer.callback_metrics.get("train/skipped_samples")
        return int(logged) if logged is not None else bad_samples.count

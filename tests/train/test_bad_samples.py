"""Unreadable samples: handed on from the item to the main process, replaced deterministically, counted."""

import logging
import os
import pickle
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from toy_data import ToySequences  # noqa: E402

from strl.errors import ConfigError, DataError  # noqa: E402
from strl.sequences.pairs import PairDataset  # noqa: E402
from strl.train.augmenting import PairCollate  # noqa: E402
from strl.train.bad_samples import BadSampleLog, GuardedPairs, replacement_index  # noqa: E402
from strl.transforms.config import AugmentConfig  # noqa: E402


class BrokenFrames(ToySequences):
    """Toy sequences whose sequences in ``bad`` raise a DataError naming a file."""

    def __init__(self, bad=(2,), **kwargs):
        super().__init__(**kwargs)
        self.bad = set(bad)

    def frame(self, s, t):
        if s in self.bad:
            raise DataError(f"/data/seq{s}.npy", "cloud has 1 point(s) with NaN or inf coordinates")
        return super().frame(s, t)


def pairs(bad=(2,)):
    return PairDataset(BrokenFrames(bad, count=6, frames=1, points=32), frame_points=16, window=0, seed=4)


def test_replacements_are_seeded_and_never_the_item_itself():
    picks = [replacement_index(4, 1, 2, attempt, 6) for attempt in range(1, 40)]
    assert picks == [replacement_index(4, 1, 2, attempt, 6) for attempt in range(1, 40)]
    assert set(picks) == {0, 1, 3, 4, 5}


def test_stop_hands_the_error_on_and_skip_replaces_the_item():
    stopped = GuardedPairs(pairs(), "stop")[(2, 1)]
    assert set(stopped) == {"error"} and stopped["error"].path == "/data/seq2.npy"
    skipped = GuardedPairs(pairs(), "skip")[(2, 1)]
    j = replacement_index(4, 1, 2, 1, 6)
    expected = pairs()[(j, 1)]
    assert torch.equal(skipped["a"], expected["a"]) and torch.equal(skipped["key"], expected["key"])
    [bad] = skipped["bad_samples"]
    assert bad.key == (4, 1, 2) and bad.where == "/data/seq2.npy"
    assert "bad_samples" not in GuardedPairs(pairs(), "skip")[(0, 1)]
    # the item crosses a process boundary (a DataLoader worker's result queue) intact
    assert pickle.loads(pickle.dumps(stopped))["error"].problem == stopped["error"].problem


def test_a_bad_replacement_is_skipped_too_and_all_bad_stops():
    guarded = GuardedPairs(pairs(bad=(2, replacement_index(4, 1, 2, 1, 6))), "skip")
    assert len(guarded[(2, 1)]["bad_samples"]) == 2
    every = GuardedPairs(pairs(bad=range(6)), "skip")[(2, 1)]
    assert isinstance(every["error"], DataError)


def test_collate_hands_on_errors_and_bad_samples():
    collate = PairCollate(AugmentConfig(num_points=8), on_worker=True)
    guarded = GuardedPairs(pairs(), "skip")
    batch = collate([guarded[(i, 0)] for i in (1, 2)])
    assert batch["a"].shape == (2, 8, 3) and len(batch["bad_samples"]) == 1
    stopped = GuardedPairs(pairs(), "stop")
    assert set(collate([stopped[(i, 0)] for i in (1, 2)])) == {"error"}


def test_log_raises_logs_each_file_once_counts_and_stops_past_the_limit(caplog):
    guarded = GuardedPairs(pairs(), "skip")
    with pytest.raises(DataError, match="seq2.npy: cloud has"):
        BadSampleLog("stop").check({"error": GuardedPairs(pairs(), "stop")[(2, 0)]["error"]})
    log = BadSampleLog("skip", max_fraction=0.5, samples_per_epoch=4)
    with caplog.at_level(logging.WARNING, logger="strl"):
        for epoch in range(3):
            batch = log.check(dict(guarded[(2, epoch)]))
            assert "bad_samples" not in batch
    assert log.count == 3 and log.per_epoch == {0: 1, 1: 1, 2: 1}
    assert sum("seq2.npy" in r.getMessage() for r in caplog.records) == 1
    log.check(dict(guarded[(2, 2)]))  # 2 of 4 in epoch 2: at the limit
    with pytest.raises(DataError, match=r"seq2.npy: .* 3 of the 4 samples of epoch 2 were bad, more than --max-bad-fraction 0.5"):
        log.check(dict(guarded[(2, 2)]))
    restored = BadSampleLog("skip", 0.5, 4)
    restored.load_state_dict(log.state_dict())
    assert (restored.count, restored.per_epoch, restored.logged) == (log.count, log.per_epoch, log.logged)


def test_unknown_policy_and_fraction_are_config_errors():
    with pytest.raises(ConfigError, match="on_bad_sample"):
        BadSampleLog("ignore")
    with pytest.raises(ConfigError, match="max_bad_fraction"):
        BadSampleLog("skip", max_fraction=1.5)
    assert np.isclose(BadSampleLog("skip").max_fraction, 0.05)

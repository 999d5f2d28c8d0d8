"""strl's exceptions cross process boundaries (DataLoader workers, DDP) as themselves."""

import pickle

import pytest

from strl.errors import CheckpointError, ConfigError, DataError


@pytest.mark.parametrize("error", [
    DataError("/data/c3.npy", "cloud has 1 point(s) with NaN or inf coordinates"),
    DataError(None, "points hold NaN or infinite values"),
    CheckpointError("model.ckpt", "no state_dict in the checkpoint"),
    ConfigError("unknown setting 'epoch'"),
])
def test_errors_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    for attribute in ("path", "problem"):
        assert getattr(copy, attribute, None) == getattr(error, attribute, None)

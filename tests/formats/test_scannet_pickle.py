import os
import pickle
import struct

import numpy as np
import pytest

from strl.errors import ConfigError, DataError
from strl.formats.base import CloudSet
from strl.formats.scannet_pickle import ScanNetScenes, load_scannet_scenes


def _py2_str(b: bytes) -> bytes:
    return pickle.BINSTRING + struct.pack("<i", len(b)) + b


def _py2_array(a: np.ndarray) -> bytes:
    """Opcodes Python 2's pickle (protocol 2) writes for a numpy array: str data, numpy.core globals."""
    def glob(module, name):
        return pickle.GLOBAL + module + b"\n" + name + b"\n"

    def i4(v):
        return pickle.BININT + struct.pack("<i", v)

    code = {np.dtype("<f4"): b"f4", np.dtype("<i4"): b"i4"}[a.dtype]
    dtype = (glob(b"numpy", b"dtype") + pickle.MARK + _py2_str(code) + i4(0) + i4(1) + pickle.TUPLE + pickle.REDUCE
             + pickle.MARK + i4(3) + _py2_str(b"<") + pickle.NONE * 3 + i4(-1) + i4(-1) + i4(0) + pickle.TUPLE
             + pickle.BUILD)
    shape = pickle.MARK + b"".join(i4(d) for d in a.shape) + pickle.TUPLE
    return (glob(b"numpy.core.multiarray", b"_reconstruct") + pickle.MARK + glob(b"numpy", b"ndarray")
            + pickle.MARK + i4(0) + pickle.TUPLE + _py2_str(b"b") + pickle.TUPLE + pickle.REDUCE
            + pickle.MARK + i4(1) + shape + dtype + pickle.NEWFALSE + _py2_str(a.tobytes()) + pickle.TUPLE
            + pickle.BUILD)


def _py2_list(arrays) -> bytes:
    return (pickle.PROTO + b"\x02" + pickle.EMPTY_LIST + pickle.MARK + b"".join(_py2_array(a) for a in arrays)
            + pickle.APPENDS + pickle.STOP)


def _scenes(rng):
    scenes = [rng.standard_normal((n, 3)).astype(np.float32) for n in (7, 12)]
    labels = [rng.integers(0, 21, len(s)).astype(np.int32) for s in scenes]
    return scenes, labels


def test_python2_release_pickle(tmp_path, rng):
    scenes, labels = _scenes(rng)
    path = tmp_path / "scannet_train.pickle"
    path.write_bytes(_py2_list(scenes) + _py2_list(labels))
    ds = ScanNetScenes(path)
    assert isinstance(ds, CloudSet) and len(ds) == 2 and ds.labels is None
    np.testing.assert_array_equal(ds[1], scenes[1])
    assert ds.point_labels(0).tolist() == labels[0].tolist() and ds.point_labels(0).dtype == np.int64


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python3_pickles_with_and_without_labels(tmp_path, rng, protocol):
    scenes, labels = _scenes(rng)
    scenes[0] = np.concatenate([scenes[0], np.ones((7, 3), np.float32)], axis=1).astype(np.float64)  # xyz + rgb
    with open(tmp_path / "scannet_test.pickle", "wb") as f:
        pickle.dump(scenes, f, protocol=protocol)
        pickle.dump(labels, f, protocol=protocol)
    ds = load_scannet_scenes(tmp_path, "test")
    np.testing.assert_allclose(ds[0], scenes[0][:, :3])
    assert ds[0].dtype == np.float32 and ds.point_labels(1).tolist() == labels[1].tolist()
    (tmp_path / "scannet").mkdir()
    with open(tmp_path / "scannet" / "scannet_train.pickle", "wb") as f:
        pickle.dump(scenes, f, protocol=protocol)
    assert load_scannet_scenes(tmp_path, "train").point_labels(0) is None


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch hacked",))


def test_pickles_referring_to_anything_but_numpy_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps([_Exploit()]))
    with pytest.raises(DataError, match=r"evil.pickle: cannot unpickle object 1: .*posix.system"):
        ScanNetScenes(path)
    assert not (tmp_path / "hacked").exists()


def _dump(path, *objects):
    with open(path, "wb") as f:
        for o in objects:
            pickle.dump(o, f)
    return path


@pytest.mark.parametrize("objects, match", [
    (([np.zeros((4, 3), np.float32)], [np.zeros(3, int)]), r"labels of scene 0 has shape \(3,\)"),
    (([np.zeros((4, 3), np.float32)], [np.zeros(4), np.zeros(4)]), "list of 1 per-point label arrays"),
    (({"scene": 1},), "first object must be a list of numpy arrays"),
    (([np.zeros((4, 2), np.float32)],), r"scene 0 has shape \(4, 2\)"),
    (([],), "holds no clouds"),
])
def test_malformed_contents_raise_data_error(tmp_path, objects, match):
    path = _dump(tmp_path / "s.pickle", *objects)
    with pytest.raises(DataError, match=match):
        ScanNetScenes(path).point_labels(0)


def test_non_finite_scene_is_reported_on_access(tmp_path):
    path = _dump(tmp_path / "s.pickle", [np.ones((4, 3), np.float32), np.full((4, 3), np.nan, np.float32)])
    ds = ScanNetScenes(path)
    ds[0]
    with pytest.raises(DataError, match="s.pickle: cloud 1 has 4 point"):
        ds[1]
    with pytest.raises(DataError, match="empty"):
        ScanNetScenes(_dump(tmp_path / "e.pickle", [np.zeros((0, 3), np.float32)]))[0]


def test_truncated_empty_and_missing_files(tmp_path, rng):
    scenes, _ = _scenes(rng)
    raw = pickle.dumps(scenes)
    (tmp_path / "t.pickle").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="t.pickle: cannot unpickle object 1"):
        ScanNetScenes(tmp_path / "t.pickle")
    (tmp_path / "e.pickle").write_bytes(b"")
    with pytest.raises(DataError, match="e.pickle: is empty"):
        ScanNetScenes(tmp_path / "e.pickle")
    with pytest.raises(DataError, match="scannet_train.pickle: not found"):
        load_scannet_scenes(tmp_path, "train")
    with pytest.raises(ConfigError):
        load_scannet_scenes(tmp_path, "val")

import numpy as np
import pytest
import trimesh

from strl.errors import DataError
from strl.formats.base import CloudSet, SequenceSet
from strl.formats.folder import load_folder


def _pcd_header(fields, sizes, types, counts, n, data):
    return (f"# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS {' '.join(fields)}\n"
            f"SIZE {' '.join(map(str, sizes))}\nTYPE {' '.join(types)}\nCOUNT {' '.join(map(str, counts))}\n"
            f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA {data}\n").encode()


def write_pcd_ascii(path, xyz):
    body = "".join(f"{x} {y} {z} 4.2e+06\n" for x, y, z in xyz)
    path.write_bytes(_pcd_header("x y z rgb".split(), [4] * 4, "FFFF", [1] * 4, len(xyz), "ascii") + body.encode())


def write_pcd_binary(path, xyz):
    """Binary PCD with PCL's layout quirks: a normal field of COUNT 3, a padding field '_' and a uint8 label."""
    rec = np.zeros(len(xyz), dtype=[("n", "<f4", 3), ("_", "<u1", 4), ("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                                     ("label", "<u1")])
    rec["x"], rec["y"], rec["z"] = np.asarray(xyz, np.float32).T
    header = _pcd_header(["normal", "_", "x", "y", "z", "label"], [4, 1, 4, 4, 4, 1], "FUFFFU", [3, 4, 1, 1, 1, 1],
                         len(xyz), "binary")
    path.write_bytes(header + rec.tobytes())


def _populate(root, rng):
    """One file of every supported type, in class sub-folders; returns {relative path: expected xyz or None}."""
    for d in ("chair", "table", "lamp"):
        (root / d).mkdir(parents=True)
    pts = {k: rng.standard_normal((9, 3)).astype(np.float32) for k in "abcdefg"}
    trimesh.PointCloud(pts["a"]).export(root / "chair" / "a.ply")
    np.save(root / "chair" / "b.npy", np.concatenate([pts["b"], np.ones((9, 3), np.float32)], axis=1))
    trimesh.creation.box().export(root / "table" / "c.off")
    write_pcd_ascii(root / "table" / "d.pcd", pts["d"])
    write_pcd_binary(root / "table" / "e.pcd", np.concatenate([pts["e"], [[np.nan, 0, 0]]]))
    np.savetxt(root / "lamp" / "f.txt", pts["f"], delimiter=",", fmt="%.7g")
    np.savetxt(root / "lamp" / "g.xyz", pts["g"], fmt="%.7g")
    np.savez(root / "lamp" / "h.npz", points=pts["a"], colors=np.zeros((9, 3)))
    trimesh.creation.icosphere(subdivisions=1).export(root / "lamp" / "i.obj")
    (root / "lamp" / "README.md").write_text("notes")
    (root / ".hidden").write_text("ignored silently")
    return pts


def test_every_format_is_read_and_labelled_by_sub_folder(tmp_path, rng):
    pts = _populate(tmp_path, rng)
    with pytest.warns(UserWarning, match=r"skipped 1 file\(s\) of unsupported type: lamp/README.md"):
        ds = load_folder(tmp_path, points_per_mesh=64, seed=3)
    assert isinstance(ds, CloudSet)
    names = [p.as_posix() for p in ds.files]
    assert names == ["chair/a.ply", "chair/b.npy", "lamp/f.txt", "lamp/g.xyz", "lamp/h.npz", "lamp/i.obj",
                     "table/c.off", "table/d.pcd", "table/e.pcd"]
    assert ds.class_names == ["chair", "lamp", "table"] and ds.labels.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2]
    expected = {"chair/a.ply": pts["a"], "chair/b.npy": pts["b"], "lamp/f.txt": pts["f"], "lamp/g.xyz": pts["g"],
                "lamp/h.npz": pts["a"], "table/d.pcd": pts["d"], "table/e.pcd": pts["e"]}  # e: NaN point dropped
    for i, name in enumerate(names):
        cloud = ds[i]
        assert cloud.dtype == np.float32 and cloud.shape[1] == 3
        if name in expected:
            np.testing.assert_allclose(cloud, expected[name], rtol=1e-5, atol=1e-6)
    box = ds[names.index("table/c.off")]
    assert box.shape == (64, 3)
    assert np.allclose(np.abs(box).max(axis=1), 0.5)  # every sample lies on the unit box's surface
    sphere = ds[names.index("lamp/i.obj")]
    assert sphere.shape == (64, 3) and np.all(np.linalg.norm(sphere, axis=1) <= 1 + 1e-6)


def test_mesh_sampling_is_seeded_per_file(tmp_path):
    trimesh.creation.box().export(tmp_path / "m.off")
    a, b = load_folder(tmp_path, 32, seed=0), load_folder(tmp_path, 32, seed=1)
    np.testing.assert_array_equal(a[0], a[0])
    np.testing.assert_array_equal(a[0], load_folder(tmp_path, 32, seed=0)[0])
    assert not np.array_equal(a[0], b[0])
    assert a.labels is None and a.class_names is None  # a file outside any sub-folder


def test_sequences_group_files_by_folder_in_name_order(tmp_path):
    for seq, n in (("scan_b", 3), ("scan_a", 11)):
        (tmp_path / "room" / seq).mkdir(parents=True)
        for t in range(n):
            np.save(tmp_path / "room" / seq / f"frame{t}.npy", np.full((4, 3), t, np.float32))
    seqs = load_folder(tmp_path).as_sequences()
    assert isinstance(seqs, SequenceSet) and len(seqs) == 2
    assert [seqs.num_frames(s) for s in range(2)] == [11, 3]
    frame = seqs.frame(0, 10)  # frame10 comes after frame2
    assert frame.origin is None and frame.points.dtype == np.float32 and (frame.points == 10).all()
    assert (seqs.frame(1, 2).points == 2).all()
    with pytest.raises(IndexError):
        seqs.frame(1, 3)


def _bad(path, what):
    if what in ("ply", "ply_points"):
        geometry = trimesh.creation.box() if what == "ply" else trimesh.PointCloud(np.ones((50, 3)))
        geometry.export(path.with_suffix(".ply"))
        raw = path.with_suffix(".ply").read_bytes()
        path.with_suffix(".ply").write_bytes(raw[:200] if what == "ply" else raw[:-7])
        return path.with_suffix(".ply")
    p = path.with_suffix({"pcd_trunc": ".pcd", "pcd_noxyz": ".pcd", "pcd_comp": ".pcd", "pcd_ascii": ".pcd",
                          "npz": ".npz", "txt_nan": ".txt", "txt_text": ".txt", "npy_1d": ".npy", "npy_obj": ".npy",
                          "off": ".off", "flat_mesh": ".obj", "empty_txt": ".txt"}[what])
    if what == "pcd_trunc":
        write_pcd_binary(p, np.ones((5, 3)))
        p.write_bytes(p.read_bytes()[:-20])
    elif what == "pcd_noxyz":
        p.write_bytes(_pcd_header(["a", "b"], [4, 4], "FF", [1, 1], 1, "ascii") + b"1 2\n")
    elif what == "pcd_comp":
        p.write_bytes(_pcd_header(["x", "y", "z"], [4, 4, 4], "FFF", [1, 1, 1], 1, "binary_compressed") + b"\0" * 8)
    elif what == "pcd_ascii":
        p.write_bytes(_pcd_header(["x", "y", "z"], [4, 4, 4], "FFF", [1, 1, 1], 3, "ascii") + b"1 2 3\n")
    elif what == "npz":
        np.savez(p, a=np.ones((3, 3)), b=np.ones((3, 3)))
    elif what == "txt_nan":
        p.write_text("1 2 3\nnan 1 1\n")
    elif what == "txt_text":
        p.write_text("hello world\n")
    elif what == "npy_1d":
        np.save(p, np.ones(5))
    elif what == "npy_obj":
        np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif what == "off":
        p.write_text("OFF\n3 1\n0 0\n")
    elif what == "flat_mesh":
        p.write_text("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n")
    elif what == "empty_txt":
        p.write_text("")
    return p


@pytest.mark.parametrize("what, match", [
    ("ply", "cannot read .ply file"), ("ply_points", "unexpected length"), ("pcd_trunc", "PCD is truncated"),
    ("pcd_noxyz", "lack x, y, z"),
    ("pcd_comp", "'binary_compressed' is not supported"), ("pcd_ascii", "header says 3 points"),
    ("npz", "none named"), ("txt_nan", "1 point"), ("txt_text", "cannot read .txt"), ("npy_1d", r"shape \(5,\)"),
    ("npy_obj", "cannot read .npy"), ("off", "cannot read .off"), ("flat_mesh", "zero surface area"),
    ("empty_txt", "text file is empty"),
])
def test_corrupt_files_raise_data_error_naming_the_file(tmp_path, what, match):
    path = _bad(tmp_path / "bad", what)
    ds = load_folder(tmp_path)
    with pytest.raises(DataError, match=f"{path.name}: .*({match})"):
        ds[0]


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_folder(tmp_path / "none")
    (tmp_path / "notes.md").write_text("x")
    with pytest.warns(UserWarning, match="skipped 1"), pytest.raises(DataError, match="holds no point-cloud files"):
        load_folder(tmp_path)

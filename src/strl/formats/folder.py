"""A user's own point clouds: every supported file under a folder (recursively).

Supported: ``.ply`` (point cloud or mesh), ``.off``/``.obj`` (meshes; via trimesh), ``.pcd``
(ASCII or binary, uncompressed; NaN points, PCL's mark for "no return", are dropped),
``.npy``/``.npz`` (an ``(N, 3+)`` array) and ``.txt``/``.xyz`` (rows of x y z [...], spaces or
commas). Meshes are sampled to ``points_per_mesh`` points by area, seeded per file, so a file
always gives the same cloud. Other files are skipped with one warning; hidden files are ignored.

:func:`load_folder` returns a :class:`FolderClouds`: a CloudSet (labels = first-level sub-folder
when every file sits in one) whose :meth:`~FolderClouds.as_sequences` groups the files of each
folder, in name order, into one sequence.
"""

from __future__ import annotations

import io
import os
import warnings
import zlib
from pathlib import Path

import numpy as np

from strl.errors import DataError
from strl.formats.base import Frame, check_cloud
from strl.formats.io_utils import check_index, natural_key, require_dir

MESH_SUFFIXES = {".ply", ".off", ".obj"}
SUFFIXES = MESH_SUFFIXES | {".pcd", ".npy", ".npz", ".txt", ".xyz"}
NPZ_KEYS = ("points", "xyz", "data", "pc")


def read_point_file(path: Path, points_per_mesh: int = 2048, rng: np.random.Generator | None = None) -> np.ndarray:
    """One supported file as an ``(N, 3)`` float32 cloud; DataError naming the file if unreadable."""
    suffix = path.suffix.lower()
    try:
        if suffix in MESH_SUFFIXES:
            arr = _read_trimesh(path, points_per_mesh, rng)
        elif suffix == ".pcd":
            arr = _read_pcd(path)
        elif suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            arr = _read_npz(path)
        elif suffix in (".txt", ".xyz"):
            first = next((ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()), "")
            if not first:
                raise DataError(path, "text file is empty")
            arr = np.loadtxt(path, delimiter="," if "," in first else None, ndmin=2)
        else:
            raise DataError(path, f"unsupported file type {suffix!r}")
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - parsers raise many types on corrupt input
        problem = f"cannot read {suffix} file, corrupt or unsupported content ({type(e).__name__}: {e})"
        raise DataError(path, problem) from None
    return check_cloud(arr, path)


def _read_trimesh(path: Path, count: int, rng) -> np.ndarray:
    import trimesh

    geom = trimesh.load(path)
    if isinstance(geom, trimesh.Scene):
        geom = geom.to_geometry()
    faces = getattr(geom, "faces", None)
    if faces is None or len(faces) == 0:
        return np.asarray(geom.vertices)
    if not geom.area > 0:
        raise DataError(path, "mesh has zero surface area, cannot sample points")
    points, _ = trimesh.sample.sample_surface(geom, count, seed=rng)
    return points


def _read_npz(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as npz:
        keys = list(npz.keys())
        key = keys[0] if len(keys) == 1 else next((k for k in NPZ_KEYS if k in keys), None)
        if key is None:
            raise DataError(path, f"holds several arrays and none named {NPZ_KEYS}: {keys}")
        return npz[key]


def _read_pcd(path: Path) -> np.ndarray:
    """x, y, z of a PCD file (``DATA ascii`` or ``binary``) as ``(N, 3)``; NaN points dropped."""
    with open(path, "rb") as f:
        header: dict[str, list[str]] = {}
        while "DATA" not in header:
            line = f.readline()
            if not line:
                raise DataError(path, "PCD header has no DATA line")
            words = line.decode("ascii", "replace").split()
            if words and not words[0].startswith("#"):
                header[words[0].upper()] = words[1:]
        body = f.read()
    fields = header.get("FIELDS", [])
    if not {"x", "y", "z"} <= set(fields):
        raise DataError(path, f"PCD fields {fields} lack x, y, z")
    counts = [int(c) for c in header.get("COUNT", ["1"] * len(fields))]
    n = int(header["POINTS"][0]) if "POINTS" in header else int(header["WIDTH"][0]) * int(header["HEIGHT"][0])
    mode = header["DATA"][0].lower() if header["DATA"] else ""
    if mode == "ascii":
        values = np.loadtxt(io.BytesIO(body), ndmin=2, dtype=np.float64) if body.strip() else np.zeros((0, sum(counts)))
        if values.shape != (n, sum(counts)):
            raise DataError(path, f"PCD holds {values.shape} values, header says {n} points x {sum(counts)} values")
        starts = np.cumsum([0] + counts[:-1])
        xyz = values[:, [starts[fields.index(a)] for a in "xyz"]]
    elif mode == "binary":
        kinds = {"F": "f", "I": "i", "U": "u"}
        dtype = np.dtype([(f"{k}_{name}", f"<{kinds[t.upper()]}{s}", (c,))
                          for k, (name, s, t, c) in enumerate(zip(fields, header["SIZE"], header["TYPE"], counts))])
        if len(body) < n * dtype.itemsize:
            raise DataError(path, f"PCD is truncated: {len(body)} data bytes, {n} points need {n * dtype.itemsize}")
        rec = np.frombuffer(body, dtype=dtype, count=n)
        xyz = np.stack([rec[f"{fields.index(a)}_{a}"][:, 0] for a in "xyz"], axis=1)
    else:
        raise DataError(path, f"PCD DATA {mode!r} is not supported (use ascii or binary)")
    return xyz[np.isfinite(xyz).all(axis=1)]


class FolderClouds:
    """Supported files under ``root``; ``self[i]`` is file ``i`` as ``(N, 3)`` float32.

    ``files`` are sorted by relative path. ``labels``/``class_names`` come from the first-level
    sub-folders when every file sits in one, else None.
    """

    def __init__(self, root: str | os.PathLike, points_per_mesh: int = 2048, seed: int = 0):
        self.root = require_dir(root)
        self.points_per_mesh, self.seed = points_per_mesh, seed
        found, skipped = [], []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    rel = Path(dirpath, name).relative_to(self.root)
                    (found if rel.suffix.lower() in SUFFIXES else skipped).append(rel)
        if skipped:
            shown = ", ".join(str(p) for p in sorted(skipped)[:10])
            warnings.warn(f"{self.root}: skipped {len(skipped)} file(s) of unsupported type: {shown}"
                          f"{' ...' if len(skipped) > 10 else ''}")
        if not found:
            raise DataError(self.root, f"holds no point-cloud files ({', '.join(sorted(SUFFIXES))})")
        self.files = sorted(found, key=lambda p: natural_key(p.as_posix()))
        self.labels, self.class_names = None, None
        if all(len(p.parts) >= 2 for p in self.files):
            self.class_names = sorted({p.parts[0] for p in self.files}, key=natural_key)
            self.labels = np.array([self.class_names.index(p.parts[0]) for p in self.files], dtype=np.int64)
            self.labels.flags.writeable = False

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        """File ``i`` as ``(N, 3)`` float32 (meshes: ``points_per_mesh`` surface samples)."""
        rel = self.files[check_index(i, len(self))]
        rng = np.random.default_rng([self.seed, zlib.crc32(rel.as_posix().encode())])
        return read_point_file(self.root / rel, self.points_per_mesh, rng)

    def as_sequences(self) -> "FolderSequences":
        """The files of each folder, in name order, as one sequence (a SequenceSet)."""
        return FolderSequences(self)


class FolderSequences:
    """SequenceSet view of :class:`FolderClouds`: one sequence per folder; ``Frame.origin`` is None."""

    def __init__(self, clouds: FolderClouds):
        self.clouds = clouds
        groups: dict[Path, list[int]] = {}
        for k, rel in enumerate(clouds.files):
            groups.setdefault(rel.parent, []).append(k)
        self.folders = sorted(groups, key=lambda p: natural_key(p.as_posix()))
        self.members = [groups[d] for d in self.folders]

    def __len__(self) -> int:
        return len(self.members)

    def num_frames(self, s: int) -> int:
        return len(self.members[check_index(s, len(self))])

    def frame(self, s: int, t: int) -> Frame:
        frames = self.members[check_index(s, len(self))]
        return Frame(self.clouds[frames[check_index(t, len(frames))]])


def load_folder(root: str | os.PathLike, points_per_mesh: int = 2048, seed: int = 0) -> FolderClouds:
    """All supported point-cloud files under ``root``; see :class:`FolderClouds`."""
    return FolderClouds(root, points_per_mesh, seed)

"""Which dataset a path holds, told from names, folder layout and array keys alone.

:func:`identify` looks at file and folder names, HDF5 keys and ``.npz`` member headers; it reads
no point data. It returns a :class:`Detected` whose ``open()`` builds the readers: a dict from a
part name (a split, or ``"scenes"`` / ``"sequences"``) to a CloudSet or a SequenceSet.

Formats, in the order they are tried (a folder that holds none of them itself may hold exactly
one of them one level down, e.g. the parent of ``h5_files`` or of ``scannet_frames_25k``):

* ``shapenet``: an ``.npz`` with a 3-D ``data`` array (``shapenet57448xyzonly.npz``)
* ``modelnet40_normal_resampled``: ``modelnet40_shape_names.txt`` and ``<class>/<id>.txt``
* ``modelnet40_ply_hdf5_2048``: ``ply_data_{train,test}*.h5`` with ``data`` and ``label``
* ``scanobjectnn``: ``[h5_files/]main_split*/*objectdataset*.h5``
* ``shapenetpart_txt``: ``synsetoffset2category.txt`` and ``<synset>/<token>.txt``
* ``shapenetpart_h5``: ``*.h5`` with ``data``, ``label`` and ``pid``
* ``s3dis``: ``indoor3d_sem_seg_hdf5_data``, i.e. ``ply_data_all_*.h5`` and ``room_filelist.txt``
* ``scannet_pickle``: ``scannet_{train,test}.pickle`` (whole scenes)
* ``rgbd``: a scene folder with ``depth/`` and ``pose/``, or a folder of such scenes
* ``kitti``: ``sequences/NN/velodyne/*.bin`` (or the ``sequences`` folder, or one ``NN`` folder)
* ``npy``: one ``.npy`` of ``(M, N, 3+)`` clouds (or of one ``(N, 3+)`` cloud)
* ``point_file``: one ``.ply/.pcd/.off/.obj/.txt/.xyz/.npz`` point file
* ``folder``: any other folder with such point files below it (:mod:`strl.formats.folder`)
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from strl.errors import ConfigError, DataError
from strl.formats.io_utils import check_index, natural_key, read_lines

LISTED_CHILDREN = 500  # entries of a folder looked at when searching one level down


@dataclass(frozen=True)
class Detected:
    """A recognised dataset.

    format: a key of :data:`FORMATS`. description: one line saying what was found.
    open: ``open() -> dict[str, CloudSet | SequenceSet]``, the readers of each part (split).
    path: where the format was found (may be a sub-folder of the path given to :func:`identify`).
    pipeline: augmentation pipeline that suits the data, ``"object"`` or ``"scene"``.
    up: the vertical axis for display: ``"y"``, ``"z"`` or ``"-y"``.
    """

    format: str
    description: str
    open: Callable[[], dict]
    path: Path
    pipeline: str = "object"
    up: str = "y"


def is_sequence_set(data) -> bool:
    """Whether a part returned by ``Detected.open()`` is a SequenceSet (else a CloudSet)."""
    return hasattr(data, "num_frames") and hasattr(data, "frame")


# --- cheap probes -------------------------------------------------------------------------------

def _h5_shapes(path: Path) -> dict[str, tuple] | None:
    """``{key: shape}`` of the top-level datasets of an HDF5 file, or None if it is not one."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return {k: tuple(v.shape) for k, v in f.items() if hasattr(v, "shape")}
    except OSError:
        return None


def _read_npy_shape(f) -> tuple:
    """Shape in the header of an open ``.npy`` stream (ValueError if it is not one)."""
    version = np.lib.format.read_magic(f)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in read_header:
        raise ValueError(f"unsupported .npy version {version}")
    return read_header[version](f)[0]


def _npz_shapes(path: Path) -> dict[str, tuple] | None:
    """``{key: shape}`` of an ``.npz`` read from the member headers only, or None if unreadable."""
    shapes = {}
    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".npy"):
                    with z.open(name) as f:
                        shapes[name[:-4]] = _read_npy_shape(f)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    return shapes


def _npy_shape(path: Path) -> tuple | None:
    try:
        with open(path, "rb") as f:
            return _read_npy_shape(f)
    except (OSError, ValueError, EOFError):
        return None


def _h5_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.h5"), key=lambda p: natural_key(p.name)) if folder.is_dir() else []


def _h5_kind(path: Path, shapes: dict[str, tuple]) -> str | None:
    """Which HDF5 release a file with these datasets belongs to."""
    data, label = shapes.get("data"), shapes.get("label")
    if data is None or label is None or len(data) != 3:
        return None
    if path.name.startswith("ply_data_all") or (len(label) == 2 and label[1] > 1 and data[2] >= 6):
        return "s3dis"
    if "pid" in shapes:
        return "shapenetpart_h5"
    if "objectdataset" in path.name or "mask" in shapes:
        return "scanobjectnn"
    return "modelnet40_ply_hdf5_2048"


def _has_frames(folder: Path) -> bool:
    return (folder / "depth").is_dir() and (folder / "pose").is_dir()


def _children(folder: Path) -> list[Path]:
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    return entries[:LISTED_CHILDREN]


# --- one probe per format: the path the format sits at (``path`` itself here), or None ----------

def _probe_shapenet(p: Path) -> Path | None:
    if p.is_file() and p.suffix == ".npz":
        data = (_npz_shapes(p) or {}).get("data")
        return p if data is not None and len(data) == 3 else None
    return None


def _probe_modelnet_normal(p: Path) -> Path | None:
    return p if (p / "modelnet40_shape_names.txt").is_file() else None


def _probe_h5_folder(kind: str):
    def probe(p: Path) -> Path | None:
        if p.is_file() and p.suffix == ".h5":
            shapes = _h5_shapes(p)
            return p if shapes is not None and _h5_kind(p, shapes) == kind else None
        files = _h5_files(p)
        if files:
            shapes = _h5_shapes(files[0])
            return p if shapes is not None and _h5_kind(files[0], shapes) == kind else None
        return None
    return probe


def _probe_scanobjectnn(p: Path) -> Path | None:
    if p.is_dir() and any(p.glob("*/*objectdataset*.h5")) and not any(p.glob("*.h5")):
        return p
    return _probe_h5_folder("scanobjectnn")(p)


def _probe_shapenetpart_txt(p: Path) -> Path | None:
    return p if (p / "synsetoffset2category.txt").is_file() else None


def _probe_s3dis(p: Path) -> Path | None:
    if (p / "room_filelist.txt").is_file() and (any(p.glob("ply_data_all_*.h5")) or (p / "all_files.txt").is_file()):
        return p
    return _probe_h5_folder("s3dis")(p)


def _probe_scannet_pickle(p: Path) -> Path | None:
    if p.is_file() and p.suffix in (".pickle", ".pkl"):
        return p
    return p if any((p / f"scannet_{s}.pickle").is_file() for s in ("train", "test")) else None


def _probe_rgbd(p: Path) -> Path | None:
    if p.is_dir() and (_has_frames(p) or any(_has_frames(c) for c in _children(p) if c.is_dir())):
        return p
    return None


def _probe_kitti(p: Path) -> Path | None:
    if not p.is_dir():
        return None
    if (p / "velodyne").is_dir():
        return p
    seq = p / "sequences" if (p / "sequences").is_dir() else p
    return p if any((c / "velodyne").is_dir() for c in _children(seq) if c.is_dir()) else None


def _probe_npy(p: Path) -> Path | None:
    shape = _npy_shape(p) if p.is_file() and p.suffix == ".npy" else None
    return p if shape is not None and (len(shape) == 3 or len(shape) == 2) and shape[-1] >= 3 else None


def _probe_point_file(p: Path) -> Path | None:
    from strl.formats.folder import SUFFIXES

    return p if p.is_file() and p.suffix.lower() in SUFFIXES else None


def _probe_folder(p: Path) -> Path | None:
    from strl.formats.folder import SUFFIXES

    if not p.is_dir():
        return None
    for _, dirnames, filenames in os.walk(p):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(Path(n).suffix.lower() in SUFFIXES and not n.startswith(".") for n in filenames):
            return p
    return None


# --- readers of each format: part name -> CloudSet / SequenceSet --------------------------------

def _open_shapenet(p: Path) -> dict:
    from strl.formats.shapenet import ShapeNetNPZ

    return {"all": ShapeNetNPZ(p)}


class ModelNetTextFiles:
    """One split of ``modelnet40_normal_resampled``, read lazily file by file (a CloudSet).

    ``self[i]`` is every row of ``files[i]`` as ``(N, 3)`` float32. Unlike
    :func:`strl.formats.modelnet.load_modelnet`, nothing is read up front, so one bad file is
    one failing item.
    """

    def __init__(self, folder: Path, split: str):
        self.class_names = read_lines(folder / "modelnet40_shape_names.txt")
        self.split_file = split_file = folder / f"modelnet40_{split}.txt"
        ids = read_lines(split_file)
        index = {n: k for k, n in enumerate(self.class_names)}
        classes = ["_".join(s.split("_")[:-1]) for s in ids]
        unknown = sorted({c for c in classes if c not in index})
        if unknown:
            raise DataError(split_file, f"ids of classes missing from modelnet40_shape_names.txt: {unknown[:5]}")
        self.files = [folder / c / f"{s}.txt" for c, s in zip(classes, ids)]
        self.labels = np.array([index[c] for c in classes], dtype=np.int64)
        self.labels.flags.writeable = False

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        """Cloud ``i`` as ``(N, 3)`` float32."""
        from strl.formats.modelnet import read_normal_txt

        path = self.files[check_index(i, len(self))]
        if not path.is_file():
            raise DataError(path, f"not found (listed in {self.split_file.name})")
        return read_normal_txt(path, None)


def _open_modelnet_normal(p: Path) -> dict:
    return _split_parts(("train", "test"), lambda s: (p / f"modelnet40_{s}.txt").is_file(),
                        lambda s: ModelNetTextFiles(p, s), p)


def _split_parts(splits, has_files: Callable[[str], bool], load: Callable[[str], object], where: Path) -> dict:
    parts = {s: load(s) for s in splits if has_files(s)}
    if not parts:
        raise DataError(where, f"no files of the splits {', '.join(splits)}")
    return parts


def _h5_folder(p: Path) -> Path:
    return p.parent if p.is_file() else p


def _open_modelnet_h5(p: Path) -> dict:
    from strl.formats.modelnet import load_modelnet

    folder = _h5_folder(p)
    return _split_parts(("train", "test"), lambda s: any(folder.glob(f"ply_data_{s}*.h5")),
                        lambda s: load_modelnet(folder, s, num_points=None), folder)


def _open_scanobjectnn(p: Path) -> dict:
    from strl.formats.scanobjectnn import ScanObjectNN

    if p.is_file():
        return {p.stem: ScanObjectNN(p)}
    files = sorted(p.glob("*objectdataset*.h5")) or sorted(p.glob("*/*objectdataset*.h5"))
    return {f.relative_to(p).with_suffix("").as_posix(): ScanObjectNN(f) for f in files}


def _open_shapenetpart_txt(p: Path) -> dict:
    from strl.formats.shapenetpart import ShapeNetPartTxt

    lists = p / "train_test_split"
    return _split_parts(("train", "val", "test"), lambda s: (lists / f"shuffled_{s}_file_list.json").is_file(),
                        lambda s: ShapeNetPartTxt(p, s), lists)


def _open_shapenetpart_h5(p: Path) -> dict:
    from strl.formats.shapenetpart import ShapeNetPartH5

    folder = _h5_folder(p)
    return _split_parts(("train", "val", "test"), lambda s: any(folder.glob(f"*{s}*.h5")),
                        lambda s: ShapeNetPartH5(folder, s), folder)


def _open_s3dis(p: Path) -> dict:
    from strl.formats.s3dis import S3DISBlocks

    folder = _h5_folder(p)
    rooms = read_lines(folder / "room_filelist.txt")
    areas = sorted({r.split("_")[1] for r in rooms if r.startswith("Area_") and r.count("_") >= 2})
    test_area = "5" if "5" in areas or not areas else areas[-1]
    splits = ("train", "test") if len(areas) != 1 else ("test",)
    return {f"{s} (Area {test_area} {'held out' if s == 'train' else 'only'})": S3DISBlocks(folder, s, test_area)
            for s in splits}


def _open_scannet_pickle(p: Path) -> dict:
    from strl.formats.scannet_pickle import ScanNetScenes

    if p.is_file():
        return {p.stem: ScanNetScenes(p)}
    return _split_parts(("train", "test"), lambda s: (p / f"scannet_{s}.pickle").is_file(),
                        lambda s: ScanNetScenes(p / f"scannet_{s}.pickle"), p)


def _open_rgbd(p: Path) -> dict:
    from strl.sequences.rgbd import RGBDSequences

    return {"scenes": RGBDSequences(p)}


def _open_kitti(p: Path) -> dict:
    from strl.sequences.kitti import KittiSequences

    if (p / "velodyne").is_dir():  # one sequence folder NN
        return {"sequences": KittiSequences(p.parent, sequences=[p.name])}
    return {"sequences": KittiSequences(p)}


def _open_npy(p: Path) -> dict:
    from strl.formats.io_utils import ArrayCloudSet

    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(p, f"not a readable .npy array ({e})") from None
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise DataError(p, f"has shape {arr.shape}, expected (M, N, 3) clouds or one (N, 3) cloud")
    return {"all": ArrayCloudSet(arr, None, None, p)}


class SingleFile:
    """One point file as a one-item CloudSet."""

    labels = None
    class_names = None

    def __init__(self, path: Path, seed: int = 0):
        self.path, self.seed = path, seed

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> np.ndarray:
        """The file's cloud as ``(N, 3)`` float32."""
        from strl.formats.folder import read_point_file

        check_index(i, 1)
        return read_point_file(self.path, rng=np.random.default_rng(self.seed))


def _open_point_file(p: Path) -> dict:
    return {"all": SingleFile(p)}


def _open_folder(p: Path) -> dict:
    from strl.formats.folder import load_folder

    return {"all": load_folder(p)}


@dataclass(frozen=True)
class FormatSpec:
    """How one format is recognised (``probe``), opened, and what ``identify`` reports for it."""

    title: str
    looks_for: str
    probe: Callable[[Path], Path | None]
    open: Callable[[Path], dict]
    pipeline: str = "object"
    up: str = "y"
    searched_below: bool = True  # also recognised one folder level down


FORMATS: dict[str, FormatSpec] = {
    "shapenet": FormatSpec("ShapeNet clouds (npz, key 'data')", ".npz with a 3-D 'data' array",
                           _probe_shapenet, _open_shapenet),
    "modelnet40_normal_resampled": FormatSpec(
        "ModelNet40, normal-resampled text files", "modelnet40_shape_names.txt", _probe_modelnet_normal,
        _open_modelnet_normal),
    "modelnet40_ply_hdf5_2048": FormatSpec(
        "ModelNet40, HDF5 release", "ply_data_{train,test}*.h5 with 'data' and 'label'",
        _probe_h5_folder("modelnet40_ply_hdf5_2048"), _open_modelnet_h5),
    "scanobjectnn": FormatSpec("ScanObjectNN, HDF5 release", "main_split*/*objectdataset*.h5", _probe_scanobjectnn,
                               _open_scanobjectnn),
    "shapenetpart_txt": FormatSpec("ShapeNetPart, text release", "synsetoffset2category.txt",
                                   _probe_shapenetpart_txt, _open_shapenetpart_txt),
    "shapenetpart_h5": FormatSpec("ShapeNetPart, HDF5 release", "*.h5 with 'data', 'label' and 'pid'",
                                  _probe_h5_folder("shapenetpart_h5"), _open_shapenetpart_h5),
    "s3dis": FormatSpec("S3DIS blocks (indoor3d_sem_seg_hdf5_data)", "room_filelist.txt + ply_data_all_*.h5",
                        _probe_s3dis, _open_s3dis, up="z"),
    "scannet_pickle": FormatSpec("ScanNet whole scenes (pickle)", "scannet_{train,test}.pickle",
                                 _probe_scannet_pickle, _open_scannet_pickle, up="z"),
    "rgbd": FormatSpec("RGB-D frames (ScanNet layout)", "depth/ + pose/ in the folder or in its sub-folders",
                       _probe_rgbd, _open_rgbd, pipeline="scene", up="z"),
    "kitti": FormatSpec("KITTI odometry LiDAR sweeps", "sequences/NN/velodyne/", _probe_kitti, _open_kitti,
                        pipeline="scene", up="-y"),
    "npy": FormatSpec("clouds in one .npy array", ".npy of shape (M, N, 3)", _probe_npy, _open_npy, up="z"),
    "point_file": FormatSpec("one point-cloud file", "a .ply/.pcd/.off/.obj/.txt/.xyz/.npz/.npy file",
                             _probe_point_file, _open_point_file, up="z", searched_below=False),
    "folder": FormatSpec("a folder of point-cloud files", "point files (.ply, .pcd, .off, .obj, .npy, .npz, .txt, "
                         ".xyz) anywhere below", _probe_folder, _open_folder, up="z", searched_below=False),
}


def _detected(name: str, found: Path) -> Detected:
    spec = FORMATS[name]
    return Detected(name, f"{spec.title} at {found}", lambda: spec.open(found), found, spec.pipeline, spec.up)


def identify(path: str | os.PathLike, format: str | None = None) -> Detected:
    """The dataset at ``path`` (see the module docstring), or ``format`` (a key of FORMATS) forced.

    A folder that holds no format itself is searched one level down; it must then hold exactly
    one dataset. Raises DataError naming what was looked for, ConfigError for an unknown ``format``.
    """
    if format is not None and format not in FORMATS:
        raise ConfigError(f"unknown data format {format!r}; known: {', '.join(FORMATS)}")
    p = Path(path)
    if not p.exists():
        raise DataError(p, "no such file or folder")
    if format is not None:  # forced: open what the probe finds, else the path itself and let the reader say why
        below = _hits_below(p, only=format)
        found = FORMATS[format].probe(p) or (below[0][1] if len(below) == 1 else p)
        return _detected(format, found)
    for name, spec in FORMATS.items():
        if name != "folder" and (found := spec.probe(p)) is not None:
            if _gathers(name, p):  # a folder of scenes or sequences: its other entries must not be datasets
                _only_one(p, [(n, c) for n, c in _hits_below(p) if n != name] + [(name, p)])
            return _detected(name, found)
    below = _hits_below(p)
    _only_one(p, below)
    if below:
        return _detected(*below[0])
    if FORMATS["folder"].probe(p) is not None:
        return _detected("folder", p)
    raise DataError(p, f"no known dataset here{_h5_hint(p)}; looked for " + "; ".join(
        f"{name}: {spec.looks_for}" for name, spec in FORMATS.items()))


def _gathers(name: str, p: Path) -> bool:
    """Whether format ``name`` was recognised in folder ``p`` from its sub-folders (scenes, sequences)."""
    if name == "rgbd":
        return not _has_frames(p)
    return name == "kitti" and not ((p / "velodyne").is_dir() or (p / "sequences").is_dir())


def _only_one(p: Path, hits: list[tuple[str, Path]]) -> None:
    if len(hits) > 1:
        listing = ", ".join(f"{c.name if c != p else 'its sub-folders'} ({n})" for n, c in hits[:10])
        raise DataError(p, f"holds several datasets: {listing}; give the path of one of them")


def _h5_hint(p: Path) -> str:
    """Why an HDF5 file (``p`` or the first in folder ``p``) was not recognised, for the error message."""
    first = p if p.suffix == ".h5" else next(iter(_h5_files(p)), None)
    if first is None:
        return ""
    shapes = _h5_shapes(first)
    if shapes is None:
        return f" ({first.name} is not a readable HDF5 file)"
    return f" ({first.name} has datasets {shapes}, which fit no known HDF5 release)"


def _hits_below(p: Path, only: str | None = None) -> list[tuple[str, Path]]:
    """``(format, entry)`` for each entry of folder ``p`` that holds a dataset by itself."""
    if not p.is_dir():
        return []
    hits = []
    for child in _children(p):
        for name, spec in FORMATS.items():
            if not spec.searched_below or (only is not None and name != only):
                continue
            if name == "npy" and len(_npy_shape(child) or ()) != 3:
                continue  # a folder of single-cloud .npy files is a user folder
            if spec.probe(child) is not None:
                hits.append((name, child))
                break
    return hits

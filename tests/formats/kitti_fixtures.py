"""Tiny files in the exact KITTI object layout, written by the KITTI tests.

The calibration is frame 000000 of the KITTI object training set; the labels mix real-looking
objects, DontCare regions and a results line with a score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CALIB_TEXT = """\
P0: 7.215377000000e+02 0.000000000000e+00 6.095593000000e+02 0.000000000000e+00 0.000000000000e+00 7.215377000000e+02 1.728540000000e+02 0.000000000000e+00 0.000000000000e+00 0.000000000000e+00 1.000000000000e+00 0.000000000000e+00
P1: 7.215377000000e+02 0.000000000000e+00 6.095593000000e+02 -3.875744000000e+02 0.000000000000e+00 7.215377000000e+02 1.728540000000e+02 0.000000000000e+00 0.000000000000e+00 0.000000000000e+00 1.000000000000e+00 0.000000000000e+00
P2: 7.215377000000e+02 0.000000000000e+00 6.095593000000e+02 4.485728000000e+01 0.000000000000e+00 7.215377000000e+02 1.728540000000e+02 2.163791000000e-01 0.000000000000e+00 0.000000000000e+00 1.000000000000e+00 2.745884000000e-03
P3: 7.215377000000e+02 0.000000000000e+00 6.095593000000e+02 -3.395242000000e+02 0.000000000000e+00 7.215377000000e+02 1.728540000000e+02 2.199936000000e+00 0.000000000000e+00 0.000000000000e+00 1.000000000000e+00 2.729905000000e-03
R0_rect: 9.999239000000e-01 9.837760000000e-03 -7.445048000000e-03 -9.869795000000e-03 9.999421000000e-01 -4.278459000000e-03 7.402527000000e-03 4.351614000000e-03 9.999631000000e-01
Tr_velo_to_cam: 7.533745000000e-03 -9.999714000000e-01 -6.166020000000e-04 -4.069766000000e-03 1.480249000000e-02 7.280733000000e-04 -9.998902000000e-01 -7.631618000000e-02 9.998621000000e-01 7.523790000000e-03 1.480755000000e-02 -2.717806000000e-01
Tr_imu_to_velo: 9.999976000000e-01 7.553071000000e-04 -2.035826000000e-03 -8.086759000000e-01 -7.854027000000e-04 9.998898000000e-01 -1.482298000000e-02 3.195559000000e-01 2.024406000000e-03 1.482454000000e-02 9.998881000000e-01 -7.997231000000e-01

"""


def calib_matrix(key: str) -> np.ndarray:
    """The values of ``key`` in :data:`CALIB_TEXT`, as a flat float64 array."""
    for line in CALIB_TEXT.splitlines():
        if line.startswith(key + ":"):
            return np.array(line.split()[1:], dtype=np.float64)
    raise KeyError(key)


IMAGE_SIZE = (375, 1242)  # (height, width) of a KITTI image_2

LABEL_LINES = [
    "Car 0.00 0 1.85 387.63 181.54 423.81 203.12 1.67 1.87 3.69 -16.53 2.39 58.49 1.57",
    "Pedestrian 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01",
    "Cyclist 0.00 3 -1.65 676.60 163.95 688.98 193.93 1.86 0.60 2.02 4.59 1.32 45.84 -1.55",
    "Van 0.27 1 -2.06 0.00 170.11 120.40 250.90 2.20 1.90 4.90 -9.10 1.75 12.20 -2.70",
    "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10",
]
RESULT_LINE = "Car -1 -1 -1.5861 594.3312 177.6540 623.0215 203.1121 1.5200 1.6300 3.8900 0.2520 1.6840 49.1710 -1.5810 0.9412"


def write_png(path: Path, size=IMAGE_SIZE) -> Path:
    """A blank grey PNG of ``size`` (height, width)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (size[1], size[0])).save(path)
    return path


def write_object_frame(split_dir: Path, frame_id: str, points: np.ndarray, label_lines=None, image=True,
                       calib=CALIB_TEXT) -> None:
    """One frame of ``training/`` or ``testing/``: sweep, calib, image and (unless None) labels."""
    for sub in ("velodyne", "calib", "image_2"):
        (split_dir / sub).mkdir(parents=True, exist_ok=True)
    np.asarray(points, np.float32).reshape(-1, 4).tofile(split_dir / "velodyne" / f"{frame_id}.bin")
    (split_dir / "calib" / f"{frame_id}.txt").write_text(calib)
    if image:
        write_png(split_dir / "image_2" / f"{frame_id}.png")
    if label_lines is not None:
        (split_dir / "label_2").mkdir(exist_ok=True)
        (split_dir / "label_2" / f"{frame_id}.txt").write_text("".join(line + "\n" for line in label_lines))


def write_split(root: Path, name: str, ids) -> Path:
    """``ImageSets/<name>.txt`` without a final newline, as in the released files."""
    path = root / "ImageSets" / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(ids))
    return path


# object frame i -> line TRAIN_RAND[i] (1-based) of MAPPING_LINES; frame 000000 -> line 6, as in the devkit
MAPPING_LINES = [
    "2011_09_26 2011_09_26_drive_0001_sync 0000000000",
    "2011_09_26 2011_09_26_drive_0001_sync 0000000004",
    "2011_09_26 2011_09_26_drive_0001_sync 0000000010",
    "2011_09_26 2011_09_26_drive_0002_sync 0000000003",
    "2011_10_03 2011_10_03_drive_0027_sync 0000000100",
    "2011_09_28 2011_09_28_drive_0106_sync 0000000048",
]
TRAIN_RAND = [6, 2, 4, 1, 5, 3]
MAPPED_TRAIN = ["000000", "000001", "000003"]  # drives 0106 and 0001 (raw frames 4 and 0)
MAPPED_VAL = ["000002", "000004", "000005"]  # drives 0002, 0027 (odometry 00) and 0001 (raw frame 10)


def write_mapping(root: Path, sub: str = "mapping") -> Path:
    """The devkit's mapping/ folder, and ImageSets/{train,val}.txt for the frames it maps."""
    folder = root / sub
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train_mapping.txt").write_text("\n".join(MAPPING_LINES) + "\n")
    (folder / "train_rand.txt").write_text(",".join(map(str, TRAIN_RAND)) + "\n")
    write_split(root, "train", MAPPED_TRAIN)
    write_split(root, "val", MAPPED_VAL)
    return folder

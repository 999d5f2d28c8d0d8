"""The files of an RGB-D scene folder (ScanNet layout): poses, intrinsics, 16-bit depth PNGs.

See :mod:`strl.sequences.rgbd` for the layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from strl.errors import DataError
from strl.sequences.frame_files import read_number_table

INTRINSICS_NAMES = ("intrinsics_depth.txt", "intrinsic_depth.txt", "intrinsic/intrinsic_depth.txt")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


def read_pose(path: Path) -> np.ndarray | None:
    """A 4x4 camera-to-world pose, or ``None`` when it holds NaN/inf (a frame to drop)."""
    pose = read_number_table(path, "pose")
    if pose.shape != (4, 4):
        raise DataError(path, f"pose has shape {pose.shape}, expected a 4x4 matrix")
    if not np.isfinite(pose).all():
        return None
    if not np.allclose(pose[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        raise DataError(path, f"pose last row is {pose[3].tolist()}, expected [0, 0, 0, 1]")
    return pose


def read_intrinsics(path: Path) -> tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` from a 3x3 or 4x4 intrinsics text file."""
    k = read_number_table(path, "intrinsics")
    if k.shape not in ((3, 3), (4, 4)):
        raise DataError(path, f"intrinsics have shape {k.shape}, expected 3x3 or 4x4")
    if not np.isfinite(k).all():
        raise DataError(path, "intrinsics hold NaN or inf")
    fx, fy, cx, cy = float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])
    if fx <= 0 or fy <= 0:
        raise DataError(path, f"focal length must be positive, got fx={fx}, fy={fy}")
    return fx, fy, cx, cy


def check_intrinsics_fit(intrinsics: tuple[float, float, float, float], shape: tuple[int, int],
                         depth_path: Path, intrinsics_path: Path | None) -> None:
    """DataError unless the principal point ``(cx, cy)`` lies in the middle half of an ``(H, W)`` depth
    image: a camera's principal point sits near the image centre, so intrinsics that put it elsewhere
    belong to an image of another size (e.g. ScanNet's colour camera, 1296x968, against 640x480 depth)."""
    _, _, cx, cy = intrinsics
    h, w = shape
    if w / 4 <= cx <= 3 * w / 4 and h / 4 <= cy <= 3 * h / 4:
        return
    source = f"the intrinsics in {intrinsics_path}" if intrinsics_path else "the intrinsics"
    raise DataError(depth_path, f"depth image is {w}x{h} pixels, but {source} put the principal point at "
                                f"({cx:g}, {cy:g}), far from its centre: they belong to an image of another size "
                                f"(the colour camera's?)")


def depth_image_size(path: Path) -> tuple[int, int] | None:
    """``(H, W)`` of an image from its header alone, or None if it cannot be opened (reading it will say why)."""
    try:
        with Image.open(path) as image:
            return image.size[1], image.size[0]
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError):
        return None


def read_depth(path: Path) -> np.ndarray:
    """A single-channel 16-bit PNG as an ``(H, W)`` uint16 array."""
    try:
        with Image.open(path) as image:
            mode, fmt = image.mode, image.format
            if mode not in _SIXTEEN_BIT_MODES and not (mode == "I" and fmt == "PNG"):
                raise DataError(path, f"depth image has mode {mode!r}, expected a single-channel 16-bit PNG")
            depth = np.asarray(image)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(path, "depth image is missing") from None
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as exc:
        raise DataError(path, f"cannot decode depth image ({exc})") from None
    if depth.ndim != 2:
        raise DataError(path, f"depth image has shape {depth.shape}, expected (H, W)")
    if depth.dtype != np.uint16:  # mode "I" (older Pillow): 16-bit values held in int32
        if depth.min() < 0 or depth.max() > 65535:
            raise DataError(path, "depth image values do not fit 16 bits")
        depth = depth.astype(np.uint16)
    return depth


def find_intrinsics(scene: Path) -> Path:
    for name in INTRINSICS_NAMES:
        if (scene / name).is_file():
            return scene / name
    raise DataError(scene, "no intrinsics file (looked for " + ", ".join(INTRINSICS_NAMES) + ")")


def find_scene_folders(root: Path) -> list[Path]:
    """``[root]`` when root is a scene (has depth/ or pose/), else its sub-folders that are scenes."""
    if not root.is_dir():
        raise DataError(root, "RGB-D root folder does not exist")
    if (root / "depth").is_dir() or (root / "pose").is_dir():
        return [root]
    scenes = [p for p in sorted(root.iterdir()) if p.is_dir() and ((p / "depth").is_dir() or (p / "pose").is_dir())]
    if not scenes:
        raise DataError(root, "no scene folders: expected depth/ and pose/ in this folder or in its sub-folders")
    return scenes

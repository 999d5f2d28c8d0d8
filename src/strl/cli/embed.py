"""``strl embed CHECKPOINT INPUT.npy OUTPUT.npy``: encoder features of ``(M, N, 3)`` clouds."""

from __future__ import annotations

import numpy as np

from strl.errors import DataError
from strl.settings.common import CheckpointSettings, DeviceSettings


class EmbedSettings(DeviceSettings, CheckpointSettings):
    """All settings of ``strl embed``."""


def add_arguments(parser) -> None:
    from strl.settings import add_settings_arguments

    parser.add_argument("checkpoint", help="a checkpoint strl evaluate accepts")
    parser.add_argument("input", help=".npy of shape (M, N, 3): M clouds of N points, used as given")
    parser.add_argument("output", help=".npy to write, of shape (M, feature_dim)")
    add_settings_arguments(parser, EmbedSettings, files=False, positionals="CHECKPOINT INPUT OUTPUT")


def read_clouds(path: str) -> np.ndarray:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise DataError(path, "no such file") from None
    except (ValueError, OSError) as exc:
        raise DataError(path, f"not a readable .npy array ({exc})") from None
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise DataError(path, f"has shape {arr.shape}, expected (M, N, 3)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(path, f"is empty (shape {arr.shape})")
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise DataError(path, f"has dtype {arr.dtype}, expected numbers")
    bad = ~np.isfinite(np.asarray(arr, dtype=np.float32)).all(axis=(1, 2))
    if bad.any():
        raise DataError(path, f"clouds {np.flatnonzero(bad)[:10].tolist()} contain NaN or inf")
    return arr


def save_array(array: np.ndarray, path: str) -> str:
    """``np.save`` to ``path``; if that fails, to a temporary file, saying so (the result is computed)."""
    import sys
    import tempfile

    try:
        np.save(path, array)
        return path
    except OSError as exc:
        fallback = tempfile.mkstemp(prefix="strl-features-", suffix=".npy")[1]
        np.save(fallback, array)
        print(f"could not write {path} ({exc.strerror or exc}); the features are in {fallback}", file=sys.stderr)
        return fallback


def run(args) -> int:
    from strl.checkpoints.load import load_encoder
    from strl.evaluate.features import features_of_arrays
    from strl.settings import settings_from_args
    from strl.settings.common import writable_file

    cfg = settings_from_args(args, EmbedSettings)
    writable_file(args.output, "OUTPUT")
    clouds = read_clouds(args.input)
    loaded = load_encoder(args.checkpoint, backbone=cfg.backbone or None, k=cfg.k or None)
    k = loaded.description.get("k")
    if loaded.description["backbone"].startswith("dgcnn") and k and clouds.shape[1] <= k:
        raise DataError(args.input, f"clouds of {clouds.shape[1]} points are too few for the encoder's "
                                    f"k = {k} neighbours; give clouds of more than {k} points")
    feats = features_of_arrays(loaded.encoder.to(cfg.device), clouds, cfg.batch_size, cfg.device, cfg.progress)
    written = save_array(feats.astype(np.float32), args.output)
    print(f"wrote {written}: {feats.shape[0]} x {feats.shape[1]} features ({loaded.description['backbone']})")
    return 0

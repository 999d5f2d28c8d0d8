"""``strl embed CHECKPOINT INPUT.npy OUTPUT.npy``: encoder features of ``(M, N, 3)`` clouds."""

from __future__ import annotations

import numpy as np

from strl.errors import DataError


def add_arguments(parser) -> None:
    parser.add_argument("checkpoint")
    parser.add_argument("input", help=".npy of shape (M, N, 3)")
    parser.add_argument("output", help=".npy of shape (M, feature_dim)")
    parser.add_argument("--backbone", default=None, help="for checkpoints that carry no description")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-progress", dest="progress", action="store_false")


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


def run(args) -> int:
    from strl.checkpoints.load import load_encoder
    from strl.evaluate.features import features_of_arrays

    clouds = read_clouds(args.input)
    loaded = load_encoder(args.checkpoint, backbone=args.backbone, k=args.k)
    feats = features_of_arrays(loaded.encoder.to(args.device), clouds, args.batch_size, args.device, args.progress)
    np.save(args.output, feats.astype(np.float32))
    print(f"wrote {args.output}: {feats.shape[0]} x {feats.shape[1]} features ({loaded.description['backbone']})")
    return 0

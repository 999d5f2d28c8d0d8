"""``strl predict CHECKPOINT INPUT.npy OUTPUT.npy``: a fine-tuned model's outputs for ``(M, N, 3)`` clouds.

Each cloud is centred and scaled into the unit sphere, as fine-tuning prepared its clouds, and
keeps all its N points. Classification writes logits ``(M, C)``; part segmentation writes part
logits ``(M, N, P)`` and needs the shapes' category (``--category``).
"""

from __future__ import annotations

from strl.settings.common import DeviceSettings


class PredictSettings(DeviceSettings):
    """All settings of ``strl predict``."""

    category: str = ""
    """part segmentation: the category of every cloud (a name such as Chair, or an id 0..15), or a .npy of (M,) ids"""
    normalize: bool = True
    """centre each cloud and scale it into the unit sphere, as fine-tuning did"""


def add_arguments(parser) -> None:
    from strl.settings import add_settings_arguments

    parser.add_argument("checkpoint", help="a fine-tuned checkpoint written by strl finetune")
    parser.add_argument("input", help=".npy of shape (M, N, 3)")
    parser.add_argument("output", help=".npy to write: (M, C) class logits or (M, N, P) part logits")
    add_settings_arguments(parser, PredictSettings, files=False, positionals="CHECKPOINT INPUT OUTPUT")


def run(args) -> int:
    import numpy as np

    from strl.checkpoints.finetuned import load_finetuned
    from strl.cli.embed import read_clouds, save_array
    from strl.settings import settings_from_args
    from strl.settings.common import writable_file

    cfg = settings_from_args(args, PredictSettings)
    writable_file(args.output, "OUTPUT")
    clouds = np.asarray(read_clouds(args.input), dtype=np.float32)
    loaded = load_finetuned(args.checkpoint)
    out = loaded.task.predict_arrays(loaded.model.to(cfg.device), clouds, cfg, args.input)
    written = save_array(out.astype(np.float32), args.output)
    print(f"wrote {written}: {loaded.meta['task']} outputs of shape {tuple(out.shape)}")
    return 0

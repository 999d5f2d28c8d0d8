"""``strl export CHECKPOINT OUTPUT``: the encoder in the original's transformed layout + safetensors."""

from __future__ import annotations

from typing import Literal

from strl.settings.common import CheckpointSettings


class ExportSettings(CheckpointSettings):
    """All settings of ``strl export``."""

    to: Literal["", "dgcnn-cls", "dgcnn-semseg", "dgcnn-partseg", "votenet", "openpcdet-pointpillar"] = ""
    """downstream code base ('': the one that fine-tunes the checkpoint's backbone, or that runs the fine-tuned model)"""


def add_arguments(parser) -> None:
    from strl.settings import add_settings_arguments

    parser.add_argument("checkpoint", help="a checkpoint strl evaluate accepts")
    parser.add_argument("output", help="e.g. encoder.pth (a .safetensors name writes only that and its .json)")
    add_settings_arguments(parser, ExportSettings, files=False, positionals="CHECKPOINT OUTPUT")


def run(args) -> int:
    from strl.checkpoints.export import export_checkpoint
    from strl.settings import settings_from_args
    from strl.settings.common import writable_file

    from strl.checkpoints.export import export_finetuned
    from strl.checkpoints.finetuned import is_finetuned

    cfg = settings_from_args(args, ExportSettings)
    writable_file(args.output, "OUTPUT")
    if is_finetuned(args.checkpoint):
        paths = export_finetuned(args.checkpoint, args.output, to=cfg.to or None)
    else:
        paths = export_checkpoint(args.checkpoint, args.output, backbone=cfg.backbone or None, k=cfg.k or None,
                                  to=cfg.to or None)
    for path in paths:
        print(f"wrote {path}")
    return 0

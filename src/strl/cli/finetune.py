"""``strl finetune TASK [CHECKPOINT]``: fine-tune a pre-trained encoder (and the same model from scratch)."""

from __future__ import annotations

import os

from strl.errors import ConfigError
from strl.settings import add_settings_arguments, print_config, settings_from_args
from strl.tasks import TASKS, task_class

HELP = {
    "classify": "shape classification: ModelNet40/10, ScanObjectNN, built-in objects",
    "partseg": "part segmentation: ShapeNetPart (16 categories, 50 parts)",
    "semseg": "semantic segmentation: S3DIS, ScanNet scenes, built-in rooms (whole-room inference)",
    "detect": "3D detection: VoteNet on ScanNet, SUN RGB-D and built-in rooms (scored as VoteNet's evaluator); PointPillars on KITTI and built-in streets (official KITTI AP)",
}


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="task", required=True, metavar="TASK")
    for name in TASKS:
        task = task_class(name)
        p = sub.add_parser(name, help=HELP.get(name, name), description=HELP.get(name, name))
        p.add_argument("checkpoint", nargs="?", default=None,
                       help="pre-trained checkpoint (any that strl evaluate accepts); leave out with --scratch")
        p.add_argument("--scratch", action="store_true",
                       help="no checkpoint: train from random initialisation only (default: off)")
        add_settings_arguments(p, task.settings, task.presets, task.default_preset,
                               positionals="[CHECKPOINT | --scratch]")


def default_preset(task, args) -> str:
    """The task's default preset, or the one that fits the checkpoint's encoder (tasks with several)."""
    if args.preset or not args.checkpoint or not hasattr(task, "preset_for_checkpoint"):
        return task.default_preset
    from strl.checkpoints.read import read_encoder_state

    try:
        backbone = read_encoder_state(args.checkpoint).description.get("backbone")
    except Exception:  # noqa: BLE001 - an unreadable checkpoint is reported when it is loaded
        return task.default_preset
    return task.preset_for_checkpoint(backbone) or task.default_preset


def run(args) -> int:
    task = task_class(args.task)()
    cfg = settings_from_args(args, task.settings, task.presets, default_preset(task, args))
    if args.print_config:
        print_config(cfg)
        return 0
    if bool(args.checkpoint) == bool(args.scratch):
        raise ConfigError("give a pre-trained CHECKPOINT, or --scratch to train from random initialisation only")
    if args.checkpoint and not os.path.isfile(args.checkpoint):
        raise ConfigError(f"{args.checkpoint}: no such checkpoint file")
    from strl.finetune.run import finetune

    folder, _ = finetune(task, cfg, args.checkpoint)
    print(os.path.join(folder, "metrics.json"))
    return 0

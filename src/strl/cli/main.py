"""``strl`` command line: one sub-command per module in this package."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from strl.errors import StrlError

#: sub-command name -> module in strl.cli with ``add_arguments(parser)`` and ``run(args) -> int``
COMMANDS = {
    "pretrain": ("pretrain", "pre-train an encoder without labels (default: built-in data)"),
    "evaluate": ("evaluate", "linear-SVM accuracy of a checkpoint's encoder"),
    "finetune": ("finetune", "fine-tune a pre-trained encoder on a labelled task, with a scratch baseline"),
    "predict": ("predict", "a fine-tuned model's class or part logits for clouds in a .npy file"),
    "score": ("score", "recompute the metrics of a predictions file"),
    "export": ("export", "write a checkpoint's encoder (or fine-tuned model) for downstream code"),
    "embed": ("embed", "encoder features of point clouds in a .npy file"),
    "bench": ("bench", "throughput of augmentation, training step and inference vs the original"),
    "data": ("data", "check a dataset (counts, ranges, problems) or preview it as a PNG"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strl", description="Spatio-temporal self-supervised learning for 3D point clouds.")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        mod = importlib.import_module(f"strl.cli.{module}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a message is emitted (not the stream at set-up)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler assigns it once; the current sys.stderr is used instead
        pass


def configure_logging(verbose: bool) -> None:
    """strl's own messages to stderr; Lightning's start-up chatter only with ``--verbose``."""
    log = logging.getLogger("strl")
    if not log.handlers:
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    for handler in log.handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = sys.stderr  # the current stderr, which may have been replaced since
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    quiet_lightning(verbose)


def quiet_lightning(verbose: bool = False) -> None:
    """Lightning sets its loggers to INFO when imported; call again after importing it."""
    import lightning  # noqa: F401

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors (exit 2) and --help (exit 0)
        return int(exc.code or 0)
    configure_logging(args.verbose)
    try:
        return int(args._run(args) or 0)
    except StrlError as exc:
        print(f"strl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `strl ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

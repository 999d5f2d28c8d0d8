"""``strl data check PATH`` and ``strl data preview PATH``: what a dataset holds, and what training sees.

``check`` recognises the format (:func:`strl.formats.detect.identify`), reads up to
``--max-items`` items of every part (``--all``: every item), and prints counts, classes, ranges,
how many items it read, and every problem, each naming its file. Exit status: 0 usable, 1 when a
problem would stop training, 2 for usage errors.

``preview`` draws a few samples, or temporal pairs (the default for sequence data), as read and
after the training augmentation, into a PNG; its path is the last line printed.

The pieces: :mod:`~strl.cli.data_source` (what PATH names), :mod:`~strl.cli.data_check` and
:mod:`~strl.cli.data_report` (check), :mod:`~strl.cli.data_preview` (preview).
"""

from __future__ import annotations

import argparse

from strl.cli.data_check import run_check
from strl.cli.data_preview import run_preview
from strl.cli.data_source import BUILTIN, BUILTIN_ROOMS, BUILTIN_STREETS


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser) -> None:
    from strl.formats.known_formats import FORMATS

    formats = [BUILTIN, BUILTIN_ROOMS, BUILTIN_STREETS, *FORMATS]
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="recognise a dataset, read it and report counts, ranges and problems",
                           description="Exit status: 0 usable, 1 a problem would stop training, 2 usage error.")
    preview = sub.add_parser("preview", help="draw samples or temporal pairs, raw and augmented, into a PNG")
    for p in (check, preview):
        p.add_argument("path", help="dataset file or folder, or 'builtin', 'builtin-rooms' or 'builtin-streets'")
        p.add_argument("--format", choices=formats, default=None, metavar="NAME",
                       help=f"skip recognition; one of: {', '.join(formats)} (default: recognised from the layout)")
        p.add_argument("--builtin-size", choices=["small", "default"], default="small",
                       help="size of the built-in data or rooms; pre-training uses 'default' (default: small)")
        p.add_argument("--cache-dir", default="",
                       help="where the built-in data is cached (default: $STRL_CACHE_DIR or ~/.cache/strl)")
        p.add_argument("--depth-scale", type=float, default=None, metavar="UNITS",
                       help="RGB-D depth units per metre (default: 1000 as in ScanNet; 5000 for TUM RGB-D)")
    amount = check.add_mutually_exclusive_group()
    amount.add_argument("--max-items", type=_positive, default=2000,
                        help="read at most this many items (clouds or frames) of each part, evenly spaced "
                             "(default: 2000)")
    amount.add_argument("--all", action="store_true", help="read every item of every part (default: off)")
    check.add_argument("--json", default=None, metavar="OUT", help="also write the report as JSON (default: none)")
    preview.add_argument("--out", default="preview.png", help="PNG to write (default: preview.png)")
    preview.add_argument("--samples", type=_positive, default=None,
                         help="samples or pairs to show (default: 4 samples or 2 pairs)")
    preview.add_argument("--pair", action=argparse.BooleanOptionalAction, default=None,
                         help="show temporal pairs (default: yes for sequence data; labelled LiDAR frames "
                              "are drawn from above with their boxes unless --pair or --no-pair is given)")
    preview.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                         help="also show the clouds after the training augmentation (default: yes)")
    preview.add_argument("--num-points", type=_positive, default=1024,
                         help="points per augmented cloud (default: 1024)")
    preview.add_argument("--window", type=int, default=1,
                         help="pair partners at most this many frames apart (default: 1)")
    preview.add_argument("--part", default=None, help="which part (split) to show (default: the first that fits)")
    preview.add_argument("--seed", type=int, default=0, help="seed of the samples and augmentation drawn (default: 0)")


def run(args) -> int:
    return run_check(args) if args.data_command == "check" else run_preview(args)

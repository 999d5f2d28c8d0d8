"""``strl bench``: speed of augmentation, data loading, the training step and inference, vs the original."""

from __future__ import annotations

from strl.errors import ConfigError


def add_arguments(parser) -> None:
    parser.add_argument("--task", default="pretrain", choices=("pretrain", "classify", "score-detect"),
                        help="what to time: the pre-training step, the classification fine-tuning step, or scoring "
                             "ScanNet-val-sized detections against VoteNet's evaluator (default: pretrain)")
    parser.add_argument("--preset", default=None,
                        help="preset to time: of strl pretrain (default: dgcnn-cls), of strl finetune classify "
                             "(default: dgcnn-modelnet40), or a PointPillars grid (pointpillars-kitti, "
                             "pointpillars-laptop: pillarisation of a 120,000-point sweep on one thread, the "
                             "detector's training step and inference, the pre-training step)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default: cpu)")
    parser.add_argument("--batch-size", type=int, default=None, help="pairs per step (default: the preset's)")
    parser.add_argument("--points", type=int, default=None, help="points per view (default: the preset's)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default: 2)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per measurement (default: 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps before them (default: 1)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the loading measurement (default: 0)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the encoders of strl's step (default: off)")
    parser.add_argument("--batched-views", action="store_true",
                        help="strl's step encodes both views in one forward (BatchNorm then sees 2B samples: "
                             "not the original's statistics; for measurement; default: off)")
    parser.add_argument("--precision", default="auto", choices=("auto", "bf16-mixed", "32-true"),
                        help="strl's step: auto is what strl pretrain uses (bf16-mixed on GPU, 32-true on CPU); "
                        "the original's runs in fp32 as its code does (default: auto)")
    parser.add_argument("--skip-original", dest="original", action="store_false", help="do not time the original step (default: timed)")
    parser.add_argument("--in-process", dest="subprocess", action="store_false",
                        help="time the steps in this process; peak memory then covers everything before (default: a subprocess)")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the results as JSON (default: none)")


def run(args) -> int:
    from strl.bench.report import BenchSettings, format_report, run_benchmark

    if args.task == "score-detect":
        return run_score_detect(args)
    grids = pointpillars_presets(args.preset)
    if grids is not None:
        return run_pointpillars(args, *grids)
    if args.task == "classify":
        from strl.tasks.classify import PRESETS

        args.preset = args.preset or "dgcnn-modelnet40"
        if args.batched_views:
            raise ConfigError("--batched-views is for pre-training steps only")
    else:
        from strl.train.config import PRESETS

        args.preset = args.preset or "dgcnn-cls"
    if args.preset not in PRESETS:
        raise ConfigError(f"unknown {args.task} preset {args.preset!r}; known: {', '.join(sorted(PRESETS))}")
    if args.task == "classify" and PRESETS[args.preset].get("backbone") != "dgcnn" and args.original:
        raise ConfigError(f"the reference fine-tuning step is DGCNN's; preset {args.preset!r} is not: add --skip-original")
    method = PRESETS[args.preset].get("method", "byol")
    if args.task == "pretrain" and method != "byol" and (args.original or args.batched_views):
        raise ConfigError(f"preset {args.preset!r} trains {method}; the original step and --batched-views are "
                          "BYOL only: add --skip-original and leave out --batched-views")
    _check_counts_and_device(args)
    settings = BenchSettings(
        preset=args.preset, device=args.device, batch_size=args.batch_size, points=args.points,
        threads=args.threads, steps=args.steps, warmup=args.warmup, workers=args.workers,
        compile=args.compile, batched_views=args.batched_views, original=args.original, subprocess=args.subprocess,
        precision=args.precision, task=args.task,
    )
    return _print_and_write(run_benchmark(settings), format_report, args.json)


def _check_counts_and_device(args) -> None:
    for name in ("batch_size", "points", "threads", "steps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("--device cuda given but no CUDA device is available")
    elif args.device != "cpu":
        raise ConfigError(f"--device must be cpu or cuda[:N], got {args.device!r}")


def pointpillars_presets(name: str | None) -> tuple[str, str] | None:
    """``(detector preset, pre-training preset)`` when ``name`` is a PointPillars grid
    (``pointpillars-kitti``, ``pointpillars-laptop``) or a pre-training preset of the pointpillars
    backbone; else None."""
    from strl.detection.pointpillars.config import PRESETS as DETECTOR_PRESETS
    from strl.train.config import PRESETS

    if name in DETECTOR_PRESETS.names():
        return name, "pointpillars-kitti-seq"
    if name in PRESETS and PRESETS[name].get("backbone") == "pointpillars":
        return PRESETS[name].get("detector_config") or "pointpillars-kitti", name
    return None


def run_pointpillars(args, grid: str, pretrain_preset: str) -> int:
    """PointPillars on the ``grid`` preset: pillarisation (1 thread), detector and pre-training steps."""
    from strl.bench.pointpillars import PillarBenchSettings, format_pointpillars_report, run_pointpillars_benchmark

    _check_counts_and_device(args)
    settings = PillarBenchSettings(preset=grid, pretrain_preset=pretrain_preset, device=args.device,
                                   batch_size=args.batch_size, points=args.points, threads=args.threads,
                                   steps=args.steps, warmup=args.warmup, precision=args.precision)
    return _print_and_write(run_pointpillars_benchmark(settings), format_pointpillars_report, args.json)


def _print_and_write(result: dict, format_report, json_path: str | None) -> int:
    """Print a benchmark's report, and write its result as JSON when asked."""
    from strl.bench.report import write_json

    print(format_report(result))
    if json_path:
        write_json(result, json_path)
        print(f"wrote {json_path}")
    return 0


def run_score_detect(args) -> int:
    """Time strl's detection evaluator against a faithful re-implementation of VoteNet's on
    ScanNet-val-sized predictions (312 scenes, 256 proposals emitted once per class, 18 classes)."""
    import json

    from strl.bench.score_detect import time_score_detect

    result = time_score_detect(repeats=max(args.steps, 1))
    print(f"score-detect: {result['num_predictions']} detections, {result['num_gt']} ground-truth boxes: strl "
          f"{result['strl_s']:.2f} s, VoteNet's evaluator {result['reference_s']:.2f} s (x{result['speedup']:.1f}); "
          f"largest AP difference {result['max_ap_diff']:.2e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {args.json}")
    return 0

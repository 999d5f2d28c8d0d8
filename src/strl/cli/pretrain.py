"""``strl pretrain``: pre-train, then compare the linear-SVM accuracy with random weights."""

from __future__ import annotations

import dataclasses
import os

from strl.train.config import PretrainConfig, add_config_arguments, config_from_args


def add_arguments(parser) -> None:
    add_config_arguments(parser)


def settings(args):
    """The configuration: the preset and the flags given, or, for ``--resume RUN_FOLDER``, that run's
    settings with the flags given on top (e.g. a larger ``--epochs``)."""
    from strl.train.run import resumed_config

    if args.resume and os.path.isdir(args.resume):
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(PretrainConfig)
                 if f.name != "preset" and getattr(args, f.name, None) is not None}
        return resumed_config(args.resume, given)
    return config_from_args(args)


def run(args) -> int:
    from strl.train.run import pretrain

    cfg = settings(args)
    folder, metrics = pretrain(cfg)
    if not metrics:  # not the main process
        return 0
    if "svm_accuracy" in metrics:
        print(f"linear SVM on {cfg.eval_dataset} (standardised features):")
        print(f"  pre-trained    {100 * metrics['svm_accuracy']:.1f} %")
        print(f"  random weights {100 * metrics['svm_accuracy_random_init']:.1f} %")
        print(f"  paper protocol (raw features, C=1): {100 * metrics['svm_accuracy_paper']:.1f} % vs {100 * metrics['svm_accuracy_random_init_paper']:.1f} %")
        print(f"  5 labels per class: {100 * metrics['svm_accuracy_few']:.1f} % vs {100 * metrics['svm_accuracy_few_random_init']:.1f} %")
    if metrics.get("skipped_samples"):
        print(f"skipped {metrics['skipped_samples']} bad sample(s) (--on-bad-sample skip); see the log above")
    print(f"finished in {metrics['seconds']:.0f} s; run folder {folder}")
    print(os.path.join(folder, "metrics.json"))
    return 0

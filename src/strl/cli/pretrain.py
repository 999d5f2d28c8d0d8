"""``strl pretrain``: pre-train, then compare the linear-SVM accuracy with random weights."""

from __future__ import annotations

import os

from strl.errors import ConfigError
from strl.settings import add_settings_arguments, print_config, settings_from_args
from strl.train.config import PRESETS, PretrainConfig


def add_arguments(parser) -> None:
    add_settings_arguments(parser, PretrainConfig, PRESETS)


def settings(args) -> PretrainConfig:
    """preset < ``--config`` file < flags; for ``--resume RUN_FOLDER``, that run's ``config.yaml`` is
    the file (flags given still override it, e.g. a larger ``--epochs``) and the run continues in its folder."""
    if args.resume and os.path.isdir(args.resume):
        saved = os.path.join(args.resume, "config.yaml")
        if args.config:
            raise ConfigError(f"--resume {args.resume} continues that run with its own settings ({saved}); "
                              "leave out --config")
        if not os.path.isfile(saved):
            raise ConfigError(f"cannot resume the run in {args.resume}: its settings file {saved} does not exist")
        folder = os.path.normpath(args.resume)
        args.config = saved
        if args.name is None and args.out_dir is None:
            args.out_dir, args.name = os.path.dirname(folder) or ".", os.path.basename(folder)
    return settings_from_args(args, PretrainConfig, PRESETS)


def run(args) -> int:
    cfg = settings(args)
    if args.print_config:
        print_config(cfg)
        return 0
    from strl.train.run import pretrain

    folder, metrics = pretrain(cfg)
    if not metrics:  # not the main process
        return 0
    if "svm_accuracy" in metrics:
        print(f"linear SVM on {cfg.eval_dataset} (standardised features):")
        print(f"  pre-trained    {100 * metrics['svm_accuracy']:.1f} %")
        print(f"  random weights {100 * metrics['svm_accuracy_random_init']:.1f} %")
        print(f"  paper protocol (raw features, C=1): {100 * metrics['svm_accuracy_paper']:.1f} % vs {100 * metrics['svm_accuracy_random_init_paper']:.1f} %")
        print(f"  5 labels per class: {100 * metrics['svm_accuracy_few']:.1f} % vs {100 * metrics['svm_accuracy_few_random_init']:.1f} %")
    if "train_loss_last_epoch" in metrics:
        print(f"{cfg.method} loss, mean of the last epoch: {metrics['train_loss_last_epoch']:.4f} "
              f"(per epoch in {os.path.join(folder, 'logs', 'metrics.csv')})")
    if metrics.get("skipped_samples"):
        print(f"skipped {metrics['skipped_samples']} bad sample(s) (--on-bad-sample skip); see the log above")
    print(f"finished in {metrics['seconds']:.0f} s; run folder {folder}")
    print(os.path.join(folder, "metrics.json"))
    return 0

"""``strl evaluate CHECKPOINT``: the linear-SVM protocol on ModelNet40, ModelNet10, ScanObjectNN or the built-in data."""

from __future__ import annotations

from strl.evaluate.settings import EvaluateSettings
from strl.settings import add_settings_arguments, print_config, settings_from_args


def add_arguments(parser) -> None:
    parser.add_argument("checkpoint", help="strl's own, an official STRL checkpoint, or a transformed one")
    add_settings_arguments(parser, EvaluateSettings, positionals="CHECKPOINT")


def run(args) -> int:
    cfg = settings_from_args(args, EvaluateSettings)
    if args.print_config:
        print_config(cfg)
        return 0
    from strl.checkpoints.load import load_encoder
    from strl.cli.outputs import write_json_result
    from strl.evaluate.classifiers import label_subset, svm_accuracy
    from strl.evaluate.protocol import encoder_features
    from strl.settings.common import writable_file
    from strl.train.data import eval_clouds

    if cfg.json:
        writable_file(cfg.json, "--json")
    loaded = load_encoder(args.checkpoint, backbone=cfg.backbone or None, k=cfg.k or None)
    for line in loaded.report.lines():
        print(f"checkpoint keys: {line}")
    encoder = loaded.encoder.to(cfg.device)
    train = eval_clouds(cfg.dataset, cfg.root, "train", cfg.num_points, cfg.cache_dir, size=cfg.builtin_size)
    test = eval_clouds(cfg.dataset, cfg.root, "test", cfg.num_points, cfg.cache_dir, size=cfg.builtin_size)
    x_tr, y_tr, x_te, y_te = encoder_features(encoder, train, test, cfg.num_points, cfg.batch_size, cfg.device, cfg.progress)
    all_x, all_y = x_tr, y_tr  # the few-shot episodes draw from the whole train split
    if cfg.label_fraction < 1:
        keep = label_subset(y_tr, fraction=cfg.label_fraction, seed=cfg.seed)
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    result = svm_accuracy(x_tr, y_tr, x_te, y_te, c=cfg.c, standardize=cfg.standardize, cv_c=cfg.cv_c)
    result.update(
        dataset=cfg.dataset, root=cfg.root, checkpoint=args.checkpoint, checkpoint_layout=loaded.layout,
        encoder=loaded.description, num_points=cfg.num_points, label_fraction=cfg.label_fraction, seed=cfg.seed,
        train_size=int(len(y_tr)), test_size=int(len(y_te)),
    )
    print(f"linear SVM accuracy on {cfg.dataset}: {100 * result['accuracy']:.2f} % (C={result['C']}, fit {result['fit_seconds']:.1f} s)")
    if cfg.few_shot:
        from strl.evaluate.fewshot import few_shot_svm

        result["few_shot"] = {}
        print(f"few-shot linear SVM on frozen {cfg.dataset} train-split features (CrossPoint protocol, "
              f"{cfg.episodes} episodes, {cfg.queries} queries per class):")
        for ways, shots in cfg.ways_shots():
            shot = few_shot_svm(all_x, all_y, ways, shots, cfg.episodes, cfg.queries, cfg.seed)
            result["few_shot"][f"{ways}way_{shots}shot"] = shot
            print(f"  {ways}-way {shots}-shot: {100 * shot['mean']:.1f} ± {100 * shot['std']:.1f} %")
    if cfg.json:
        write_json_result(result, cfg.json)
    return 0

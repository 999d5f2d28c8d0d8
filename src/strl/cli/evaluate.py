"""``strl evaluate CHECKPOINT``: the linear-SVM protocol on ModelNet40, ModelNet10 or the built-in data."""

from __future__ import annotations

import json

from strl.errors import ConfigError


def add_arguments(parser) -> None:
    parser.add_argument("checkpoint", help="ours, an official STRL checkpoint, or a transformed one")
    parser.add_argument("--dataset", default="modelnet40", choices=["modelnet40", "modelnet10", "builtin", "scanobjectnn-obj-bg", "scanobjectnn-obj-only", "scanobjectnn-pb-t50-rs"])
    parser.add_argument("--root", default="", help="folder holding either ModelNet40 layout (or ScanObjectNN's h5_files)")
    parser.add_argument("--backbone", default=None, help="for checkpoints that carry no description")
    parser.add_argument("--k", type=int, default=None, help="DGCNN neighbours, for checkpoints without a description")
    parser.add_argument("--num-points", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--c", type=float, default=1.0, help="SVM C (the paper: 1)")
    parser.add_argument("--cv-c", action="store_true", help="choose C by cross-validation on the training features")
    parser.add_argument("--standardize", action="store_true", help="standardise features with the training mean/std")
    parser.add_argument("--label-fraction", type=float, default=1.0, help="fraction of training labels per class (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default="")
    parser.add_argument("--builtin-size", default="default", help="size of the built-in data (default | small)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="write the result here")
    parser.add_argument("--no-progress", dest="progress", action="store_false")


def run(args) -> int:
    from strl.checkpoints.load import load_encoder
    from strl.evaluate.classifiers import label_subset, svm_accuracy
    from strl.evaluate.protocol import encoder_features
    from strl.train.data import eval_clouds

    if not 0 < args.label_fraction <= 1:
        raise ConfigError(f"--label-fraction must be in (0, 1], got {args.label_fraction}")
    loaded = load_encoder(args.checkpoint, backbone=args.backbone, k=args.k)
    for line in loaded.report.lines():
        print(f"checkpoint keys: {line}")
    encoder = loaded.encoder.to(args.device)
    train = eval_clouds(args.dataset, args.root, "train", args.num_points, args.cache_dir, size=args.builtin_size)
    test = eval_clouds(args.dataset, args.root, "test", args.num_points, args.cache_dir, size=args.builtin_size)
    x_tr, y_tr, x_te, y_te = encoder_features(encoder, train, test, args.num_points, args.batch_size, args.device, args.progress)
    if args.label_fraction < 1:
        keep = label_subset(y_tr, fraction=args.label_fraction, seed=args.seed)
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    result = svm_accuracy(x_tr, y_tr, x_te, y_te, c=args.c, standardize=args.standardize, cv_c=args.cv_c)
    result.update(
        dataset=args.dataset, root=args.root, checkpoint=args.checkpoint, checkpoint_layout=loaded.layout,
        encoder=loaded.description, num_points=args.num_points, label_fraction=args.label_fraction, seed=args.seed,
        train_size=int(len(y_tr)), test_size=int(len(y_te)),
    )
    print(f"linear SVM accuracy on {args.dataset}: {100 * result['accuracy']:.2f} % (C={result['C']}, fit {result['fit_seconds']:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0

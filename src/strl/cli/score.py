"""``strl score KIND PREDICTIONS``: recompute every metric from a saved predictions file.

The same metric functions as ``strl finetune`` (one implementation each, in :mod:`strl.metrics`).
Formats: classify ``pred (M,)``, ``label (M,)``; partseg ``pred (M, N)``, ``label (M, N)`` part ids
0..49, ``category (M,)`` 0..15; semseg ``pred (P,)``, ``label (P,)`` (optional ``ignore_index``,
``num_classes``); detect ``pred_boxes (K, 7)``, ``pred_class``, ``pred_score``, ``pred_scene`` ``(K,)``,
``gt_boxes (G, 7)``, ``gt_class``, ``gt_scene`` ``(G,)`` (boxes ``(cx, cy, cz, dx, dy, dz, heading)``, z up;
optional ``class_names``); kitti: folders of KITTI label files. Fractions in 0..1 in the JSON (KITTI: the
devkit's percentages); the printout shows percentages.
"""

from __future__ import annotations

KINDS = {
    "classify": "overall accuracy, mean class accuracy, confusion matrix",
    "partseg": "instance and class mIoU (ShapeNetPart conventions)",
    "semseg": "pooled per-class IoU, mIoU, overall and mean class accuracy",
    "detect": "VoteNet-protocol 3-D detection: AP and recall per class at IoU 0.25 and 0.5, mAP over the classes "
              "with ground truth",
    "kitti": "the official KITTI object evaluation of a folder of result label files (AP R11 and R40)",
}


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, text in KINDS.items():
        p = sub.add_parser(kind, help=text, description=text)
        if kind == "kitti":
            p.add_argument("--pred", required=True, metavar="DIR", help="folder of NNNNNN.txt result files (16 fields; default: none, required)")
            p.add_argument("--gt", required=True, metavar="DIR", help="folder of NNNNNN.txt ground-truth labels, label_2 (default: none, required)")
            p.add_argument("--split", default=None, metavar="FILE",
                           help="score exactly the frame ids listed in this file (default: every ground-truth file)")
            p.add_argument("--loose", action="store_true",
                           help="also score at the loose IoU thresholds (default: the strict ones only)")
        elif kind == "semseg":
            p.add_argument("predictions", nargs="+",
                           help="predictions .npz in the semseg format; several files are the folds of a k-fold "
                                "protocol (S3DIS 6-fold: one per test area), scored pooled and as the mean of the folds")
        else:
            p.add_argument("predictions", help=f"predictions .npz in the {kind} format (see strl score --help)")
        p.add_argument("--json", default=None, metavar="OUT", help="also write the scores as JSON (default: none)")
        if kind == "partseg":
            p.add_argument("--no-restrict-parts", dest="restrict", action="store_false",
                           help="score the argmax over all 50 parts, as dgcnn.pytorch (default: the category's parts; "
                                "needs 'logits' in the file, or a 'pred' inside each category)")


def _print(scores: dict) -> None:
    for key, value in scores.items():
        if isinstance(value, float):
            print(f"{key:<24} {100 * value:6.2f} %" if key.endswith(("accuracy", "miou")) else f"{key:<24} {value}")
        elif isinstance(value, int):
            print(f"{key:<24} {value}")


def print_detection_scores(scores: dict) -> None:
    """mAP lines, then AP and recall per class at both thresholds."""
    from strl.metrics.detection_table import format_ap_table

    print(f"map_25 {_percent(scores['map_25'])}   map_50 {_percent(scores['map_50'])}   "
          f"({scores['num_predictions']} detections, {scores['num_gt']} ground-truth boxes)")
    columns = {"AP@0.25": scores["ap_25"], "AP@0.5": scores["ap_50"],
               "recall@0.25": scores["recall_25"], "recall@0.5": scores["recall_50"]}
    means = {"AP@0.25": scores["map_25"], "AP@0.5": scores["map_50"], "recall@0.25": scores["ar_25"],
             "recall@0.5": scores["ar_50"]}
    print(format_ap_table(columns, list(scores["ap_25"]), means))
    if scores["classes_without_gt"]:
        print(f"predicted classes without ground truth (AP n/a, left out of the means; VoteNet's mean would be NaN): "
              f"{', '.join(scores['classes_without_gt'])}")


def _percent(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def run(args) -> int:
    from strl.cli.outputs import write_json_result
    from strl.metrics.prediction_files import score_file
    from strl.settings.common import writable_file

    if args.json:
        writable_file(args.json, "--json")
    if args.kind == "kitti":
        from strl.metrics.kitti import format_kitti_table, score_kitti_folders

        scores = score_kitti_folders(args.pred, args.gt, args.split, loose=args.loose)
        print(format_kitti_table(scores))
    elif args.kind == "semseg" and len(args.predictions) > 1:
        from strl.metrics.prediction_files import score_semseg_folds

        scores = score_semseg_folds(args.predictions)
        _print(scores)
        for fold, entry in scores["folds"].items():
            print(f"fold {fold} ({scores['fold_files'][fold]}): miou {_percent(entry['miou'])}, {entry['num_points']} points")
    else:
        predictions = args.predictions[0] if args.kind == "semseg" else args.predictions
        scores = score_file(predictions, args.kind, restrict=getattr(args, "restrict", True))
        (print_detection_scores if args.kind == "detect" else _print)(scores)
    if args.json:
        write_json_result(scores, args.json)
    return 0

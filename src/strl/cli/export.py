"""``strl export CHECKPOINT OUTPUT``: the encoder in the original's transformed layout + safetensors."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("checkpoint")
    parser.add_argument("output", help="e.g. encoder.pth (a .safetensors name writes only that and its .json)")
    parser.add_argument("--backbone", default=None, help="for checkpoints that carry no description")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--to", default=None, choices=["dgcnn-cls", "dgcnn-semseg", "dgcnn-partseg", "votenet"],
                        help="downstream code base (default: the one for the checkpoint's backbone)")


def run(args) -> int:
    from strl.checkpoints.export import export_checkpoint

    for path in export_checkpoint(args.checkpoint, args.output, backbone=args.backbone, k=args.k, to=args.to):
        print(f"wrote {path}")
    return 0

"""Build an encoder and load checkpoint weights into it, reporting every key that does not fit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch

from strl.backbones import DEFAULT_K, build_described_backbone, resolve_k
from strl.checkpoints.read import EncoderState, read_encoder_state
from strl.errors import CheckpointError

log = logging.getLogger("strl")

#: (backbone, a key only its state_dict has, the key whose first dim is emb_dims or None); most specific first
KEY_SIGNATURES = (
    ("pointpillars", "vfe.pfn_layers.0.linear.weight", None),
    ("votenet", "sa1.mlp_module.layer0.conv.weight", None),
    ("dgcnn-partseg", "transform_net.transform.weight", "conv6.0.weight"),
    ("dgcnn-semseg", "conv6.0.weight", "conv6.0.weight"),
    ("dgcnn", "conv5.0.weight", "conv5.0.weight"),
    ("pointnet", "conv5.weight", "conv5.weight"),
)


def infer_backbone(state: dict) -> tuple[str | None, int | None]:
    """Backbone name and emb_dims implied by the keys of an encoder state_dict (``None`` if unknown)."""
    for name, key, emb_key in KEY_SIGNATURES:
        if key in state:
            return name, (int(state[emb_key].shape[0]) if emb_key else None)
    return None, None


@dataclass
class LoadReport:
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)  # "key: checkpoint shape vs encoder shape"

    def lines(self) -> list[str]:
        out = []
        for title, keys in (("missing", self.missing), ("unexpected", self.unexpected), ("mis-shaped", self.mismatched)):
            if keys:
                out.append(f"{len(keys)} {title} key(s): " + ", ".join(keys[:12]) + (" ..." if len(keys) > 12 else ""))
        return out or ["all keys matched"]


def load_state_with_report(module: torch.nn.Module, state: dict, path: str, ignore_missing: tuple[str, ...] = ()) -> LoadReport:
    """Load ``state`` into ``module`` non-strictly, returning (and logging) what did not fit.

    Refuses (``CheckpointError``) when shapes disagree or most of the module's keys are absent:
    that is a checkpoint of another backbone, and a silent partial load would give wrong results.
    """
    own = module.state_dict()
    report = LoadReport(
        missing=[k for k in own if k not in state and not k.startswith(ignore_missing)],
        unexpected=[k for k in state if k not in own],
        mismatched=[f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in state if k in own and state[k].shape != own[k].shape],
    )
    matched = len(own) - len(report.missing)
    if report.mismatched or matched < len(own) / 2:
        detail = "; ".join(report.lines())
        raise CheckpointError(path, f"does not fit a {type(module).__name__} encoder ({matched}/{len(own)} keys matched; {detail}); is it a checkpoint of another backbone?")
    module.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    for line in report.lines():
        log.info("%s: %s", path, line)
    return report


@dataclass
class LoadedEncoder:
    encoder: torch.nn.Module
    description: dict
    report: LoadReport
    layout: str
    global_step: int = 0


def load_encoder(path: str, backbone: str | None = None, k: int | None = None, emb_dims: int | None = None) -> LoadedEncoder:
    """An encoder with the checkpoint's weights, in eval mode on the CPU.

    ``backbone``/``k``/``emb_dims`` describe checkpoints that carry no description; where a
    checkpoint does describe itself, a conflicting ``backbone`` is refused.
    """
    enc_state: EncoderState = read_encoder_state(path)
    desc = dict(enc_state.description)
    inferred, inferred_emb = infer_backbone(enc_state.state_dict)
    if backbone and desc.get("backbone") and desc["backbone"] != backbone:
        raise CheckpointError(path, f"holds a {desc['backbone']} encoder, not {backbone}")
    name = backbone or desc.get("backbone") or inferred
    if name is None:
        raise CheckpointError(path, "cannot tell which backbone this checkpoint holds; pass --backbone")
    if inferred is not None and inferred != name:
        raise CheckpointError(path, f"its keys are those of a {inferred} encoder, not {name}")
    desc["backbone"] = name
    desc["k"] = resolve_k(name, k or desc.get("k"))
    if not (k or enc_state.description.get("k")) and name in DEFAULT_K:
        log.warning("%s: the checkpoint does not say which k its %s encoder was trained with; assuming k = %d, "
                    "the default (give --k if it was another)", path, name, desc["k"])
    desc["emb_dims"] = emb_dims or desc.get("emb_dims") or inferred_emb or 1024
    encoder = build_described_backbone(desc)
    report = load_state_with_report(encoder, enc_state.state_dict, path, getattr(encoder, "untrained_prefixes", ()))
    return LoadedEncoder(encoder.eval(), desc, report, enc_state.layout, enc_state.global_step)

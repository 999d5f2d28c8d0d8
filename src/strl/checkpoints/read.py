"""Read the encoder weights out of any checkpoint layout strl knows.

Layouts (detected from the keys, never from the file name):

* ``strl`` — our Lightning checkpoints: ``state_dict`` keys ``method.backbone.*`` plus a
  ``strl`` entry describing the encoder;
* ``official`` — the original STRL Lightning checkpoints: ``online_network.*`` (or the typo
  ``online_netwrok.*``) and ``target_network.*``;
* ``transformed`` — ``{"state_dict": encoder keys}`` as the original's transform script writes;
* ``votenet`` — ``{"model_state_dict": {"backbone_net.*"}}`` for VoteNet;
* ``safetensors`` — our export: ``X.safetensors`` with its description in ``X.json``.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from dataclasses import dataclass, field

import torch

from strl.errors import CheckpointError

ONLINE_PREFIXES = ("online_network.", "online_netwrok.")
HEAD_PARTS = ("projector.", "predictor.")


@dataclass
class EncoderState:
    """Encoder weights (keys as the encoder module names them) and what is known about them."""

    state_dict: dict[str, torch.Tensor]
    layout: str
    description: dict = field(default_factory=dict)
    global_step: int = 0  # optimizer steps of the run that wrote it (0 where the checkpoint does not say)


def _strip(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def _official_description(hparams: dict) -> dict:
    names = {"PointNet": "pointnet", "DGCNN": "dgcnn", "DGCNN-Semseg": "dgcnn-semseg", "DGCNN-Partseg": "dgcnn-partseg", "votenet": "votenet"}
    desc = {}
    if isinstance(hparams, dict):
        if hparams.get("network") in names:
            desc["backbone"] = names[hparams["network"]]
        for key in ("k", "emb_dims", "num_points"):
            if isinstance(hparams.get(key), (int, float)):
                desc[key] = int(hparams[key])
    return desc


def _load_torch(path: str) -> dict:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, AttributeError) as exc:
        raise CheckpointError(path, f"not a readable PyTorch checkpoint ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(path, f"holds a {type(obj).__name__}, expected a dict with a state_dict")
    return obj


def _load_safetensors(path: str) -> EncoderState:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(path, device="cpu")
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(path, f"not a readable safetensors file ({exc})") from None
    meta_path = os.path.splitext(path)[0] + ".json"
    desc = {}
    if os.path.isfile(meta_path):
        with open(meta_path) as f:
            desc = json.load(f).get("encoder", {})
    return EncoderState(state, "safetensors", desc)


def read_encoder_state(path: str | os.PathLike) -> EncoderState:
    """The encoder weights of a checkpoint in any known layout (see the module docstring)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(path, "no such checkpoint file")
    if path.endswith(".safetensors"):
        return _load_safetensors(path)
    obj = _load_torch(path)
    if "model_state_dict" in obj:
        state = _strip(obj["model_state_dict"], "backbone_net.")
        if not state:
            raise CheckpointError(path, "model_state_dict has no backbone_net.* keys")
        return EncoderState(state, "votenet", {"backbone": "votenet"})
    state = obj.get("state_dict")
    if not isinstance(state, dict) or not state:
        raise CheckpointError(path, f"no state_dict in the checkpoint (top-level keys: {sorted(obj)[:10]})")
    if "strl" in obj:
        meta = obj["strl"]
        if isinstance(meta, dict) and meta.get("kind") == "finetuned":
            raise CheckpointError(path, f"is a fine-tuned {meta.get('task', '')} model, not a pre-trained encoder: "
                                        "give the pre-trained checkpoint (strl predict and strl export take this one)")
        return EncoderState(_strip(state, "method.backbone."), "strl", dict(meta.get("encoder", {})),
                            int(obj.get("global_step", 0)))
    for prefix in ONLINE_PREFIXES:
        online = _strip(state, prefix)
        if online:
            enc = {k: v for k, v in online.items() if not k.startswith(HEAD_PARTS)}
            return EncoderState(enc, "official", _official_description(obj.get("hyper_parameters", {})))
    if any(k.startswith("method.backbone.") for k in state):
        return EncoderState(_strip(state, "method.backbone."), "strl", {})
    return EncoderState(dict(state), "transformed", {})

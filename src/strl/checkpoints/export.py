"""Write encoder weights in the layouts downstream code loads, plus a safetensors copy with a description."""

from __future__ import annotations

import json
import os
import tempfile
from collections import OrderedDict

import torch

from strl.checkpoints.load import load_encoder


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_safetensors(state: dict, description: dict, path: str) -> str:
    """``path`` (.safetensors, aliased tensors cloned) and the description beside it as ``.json``."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}
    save_file(tensors, path, metadata={"format": "strl-encoder", "backbone": str(description.get("backbone"))})
    meta = os.path.splitext(path)[0] + ".json"
    with open(meta, "w") as f:
        json.dump({"format": "strl-encoder", "format_version": 1, "encoder": description, "keys": len(tensors)}, f, indent=2)
    return meta


def export_checkpoint(checkpoint: str, output: str, backbone: str | None = None, k: int | None = None) -> list[str]:
    """Export a checkpoint's encoder as ``{"state_dict": encoder keys}`` (the original's transformed
    layout) and as safetensors + JSON description. Returns the paths written."""
    loaded = load_encoder(checkpoint, backbone=backbone, k=k)
    state = OrderedDict((key, value.detach().cpu()) for key, value in loaded.encoder.state_dict().items())
    written = []
    stem = os.path.splitext(output)[0]
    if not output.endswith(".safetensors"):
        atomic_torch_save({"state_dict": state}, output)
        written.append(output)
    st_path = stem + ".safetensors"
    written += [st_path, write_safetensors(state, loaded.description, st_path)]
    return written

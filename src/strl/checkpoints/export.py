"""Write encoder weights in the layouts downstream code loads, plus a safetensors copy with a description."""

from __future__ import annotations

import json
import os
import tempfile
from collections import OrderedDict

import torch

from strl.checkpoints.load import load_encoder
from strl.errors import CheckpointError


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


#: downstream code base -> (backbones it takes, top-level key, key prefix)
EXPORT_TARGETS = {
    "dgcnn-cls": (("dgcnn", "pointnet"), "state_dict", ""),  # WangYueFt/dgcnn (DGCNN and PointNet)
    "dgcnn-semseg": (("dgcnn-semseg",), "state_dict", ""),  # dgcnn.pytorch DGCNN_semseg
    "dgcnn-partseg": (("dgcnn-partseg",), "state_dict", ""),  # dgcnn.pytorch DGCNN_partseg
    "votenet": (("votenet",), "model_state_dict", "backbone_net."),  # facebookresearch/votenet
    # open-mmlab/OpenPCDet tools/train.py --pretrained_model: vfe.* + backbone_2d.* and global_step
    "openpcdet-pointpillar": (("pointpillars",), "model_state", ""),
}
DEFAULT_TARGET = {"pointnet": "dgcnn-cls", "dgcnn": "dgcnn-cls", "dgcnn-semseg": "dgcnn-semseg", "dgcnn-partseg": "dgcnn-partseg",
                  "votenet": "votenet", "pointpillars": "openpcdet-pointpillar"}


def export_finetuned(checkpoint: str, output: str, to: str | None = None) -> list[str]:
    """Export a fine-tuned model (encoder and head) in the layout its downstream code base loads,
    plus a safetensors copy of that state with a JSON description. Returns the paths written."""
    from strl.checkpoints.finetuned import load_finetuned

    loaded = load_finetuned(checkpoint)
    target, top_key, state = loaded.task.downstream_export(loaded.model, loaded.meta)
    if to and to != target:
        raise CheckpointError(checkpoint, f"is a fine-tuned {loaded.meta['task']} model with a "
                                          f"{loaded.meta['encoder']['backbone']} encoder; it exports to {target}, not {to}")
    written = []
    if not output.endswith(".safetensors"):
        atomic_torch_save({top_key: state, **loaded.task.downstream_extras(loaded.model, loaded.meta)}, output)
        written.append(output)
    st_path = os.path.splitext(output)[0] + ".safetensors"
    description = {**loaded.meta["encoder"], "task": loaded.meta["task"], "head": loaded.meta["head"], "export_target": target}
    written += [st_path, write_safetensors(state, description, st_path)]
    return written


def export_checkpoint(checkpoint: str, output: str, backbone: str | None = None, k: int | None = None, to: str | None = None, log=print) -> list[str]:
    """Export a checkpoint's encoder for the downstream code base ``to`` (default: the one that
    fine-tunes this backbone), plus a safetensors copy with a JSON description.

    Modules the pre-training never trains (the original's unused segmentation layers) are left
    out, so the downstream heads keep their own initialisation. ``openpcdet-pointpillar`` writes
    ``{"model_state": global_step + vfe.* + backbone_2d.*}`` (OpenPCDet's keys; its
    ``--pretrained_model`` keeps its own ``dense_head``). Returns the paths written.
    """
    loaded = load_encoder(checkpoint, backbone=backbone, k=k)
    name = loaded.description["backbone"]
    to = to or DEFAULT_TARGET[name]
    if to not in EXPORT_TARGETS:
        raise CheckpointError(checkpoint, f"unknown export target {to!r}; known: {', '.join(EXPORT_TARGETS)}")
    accepted, top_key, prefix = EXPORT_TARGETS[to]
    if name not in accepted:
        raise CheckpointError(checkpoint, f"holds a {name} encoder; the {to} code base takes {' or '.join(accepted)}")
    untrained = tuple(getattr(loaded.encoder, "untrained_prefixes", ()))
    state = OrderedDict(
        (key, value.detach().cpu()) for key, value in loaded.encoder.state_dict().items() if not key.startswith(untrained)
    )
    if untrained:
        log(f"left out {', '.join(p.rstrip('.') for p in untrained)}: the pre-training never trains them")
    written = []
    if to == "openpcdet-pointpillar" and not output.endswith(".safetensors"):
        from strl.detection.pointpillars.export import export_openpcdet

        export_openpcdet(state, output, global_step=loaded.global_step)
        written.append(output)
    elif not output.endswith(".safetensors"):
        atomic_torch_save({top_key: OrderedDict((prefix + key, value) for key, value in state.items())}, output)
        written.append(output)
    st_path = os.path.splitext(output)[0] + ".safetensors"
    written += [st_path, write_safetensors(state, {**loaded.description, "export_target": to}, st_path)]
    return written

"""Fine-tuned checkpoints (written by ``strl finetune``): read them and rebuild their model.

They are Lightning checkpoints whose ``"strl"`` entry has ``kind: "finetuned"``, the task, the
encoder description and what the task needs to rebuild its head; the model's weights are the
``model.*`` keys of ``state_dict``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from strl.errors import CheckpointError


@dataclass
class FinetunedModel:
    task: object  # a strl.tasks Task
    model: torch.nn.Module  # in eval mode, on the CPU
    meta: dict  # the checkpoint's "strl" entry


def read_finetuned(path: str | os.PathLike) -> tuple[dict, dict]:
    """``(meta, model state_dict)`` of a fine-tuned checkpoint; anything else is a CheckpointError."""
    from strl.checkpoints.read import _load_torch

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(path, "no such checkpoint file")
    obj = _load_torch(path)
    meta = obj.get("strl")
    if not isinstance(meta, dict) or meta.get("kind") != "finetuned":
        raise CheckpointError(path, "is not a fine-tuned model (a pre-trained encoder or another file): "
                                    "give a checkpoint that strl finetune wrote (runs/<name>/checkpoints/<run>/best.ckpt)")
    state = {k[len("model."):]: v for k, v in obj.get("state_dict", {}).items() if k.startswith("model.")}
    if not state:
        raise CheckpointError(path, "holds no model weights (no model.* keys in its state_dict)")
    return meta, state


def is_finetuned(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a readable checkpoint that ``strl finetune`` wrote."""
    try:
        read_finetuned(path)
    except CheckpointError:
        return False
    return True


def load_finetuned(path: str | os.PathLike) -> FinetunedModel:
    """The task and its model with the checkpoint's weights (strict), in eval mode on the CPU."""
    from strl.backbones import build_described_backbone
    from strl.tasks import task_class

    meta, state = read_finetuned(path)
    task = task_class(meta["task"])()
    desc = meta["encoder"]
    model = task.rebuild_model(build_described_backbone(desc), meta["head"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(path, f"weights do not fit the {meta['task']} model it describes "
                                    f"({len(missing)} missing, {len(unexpected)} unexpected keys, e.g. {(missing or unexpected)[0]})")
    return FinetunedModel(task, model.eval(), meta)

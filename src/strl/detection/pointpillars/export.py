"""Weights for OpenPCDet's ``tools/train.py --pretrained_model FILE``.

OpenPCDet's ``load_params_from_file`` reads ``checkpoint["model_state"]`` and copies every tensor
whose key exists in its model with the same shape. The file written here is
``{"model_state": OrderedDict(key -> tensor)}`` with OpenPCDet's PointPillar keys plus the
detector's ``global_step`` buffer (int64, shape (1,)); it holds plain tensors only, so it also
loads with ``torch.load(weights_only=True)``.

From a pre-training encoder it holds ``vfe.*`` and ``backbone_2d.*``: OpenPCDet then keeps its own
initialisation of ``dense_head.*`` (logged as "Not updated weight"). From a fine-tuned detector it
holds the whole model (OpenPCDet logs "loaded 127/127" for the KITTI configuration).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from strl.checkpoints.export import atomic_torch_save

#: the module prefixes OpenPCDet's PointPillar has parameters or buffers under
OPENPCDET_PREFIXES = ("vfe.", "backbone_2d.", "dense_head.")


def openpcdet_state(model: nn.Module | dict, global_step: int = 0) -> OrderedDict:
    """``OrderedDict`` of OpenPCDet keys -> detached CPU tensors, ``global_step`` first (as OpenPCDet orders it).

    ``model`` is a :class:`~strl.detection.pointpillars.model.PointPillars`, a
    :class:`~strl.detection.pointpillars.encoder.PointPillarsEncoder` or their state_dict; keys
    outside OpenPCDet's modules raise ``ValueError``.
    """
    state = model.state_dict() if isinstance(model, nn.Module) else model
    foreign = [k for k in state if not k.startswith(OPENPCDET_PREFIXES) and k != "global_step"]
    if foreign:
        raise ValueError(f"keys that OpenPCDet's PointPillar does not have: {', '.join(foreign[:8])}")
    out = OrderedDict(global_step=torch.tensor([global_step], dtype=torch.int64))
    out.update((k, v.detach().cpu().clone()) for k, v in state.items() if k != "global_step")
    return out


def export_openpcdet(model: nn.Module | dict, path: str, global_step: int = 0) -> OrderedDict:
    """Write ``{"model_state": openpcdet_state(model, global_step)}`` to ``path`` atomically; returns the state."""
    state = openpcdet_state(model, global_step)
    atomic_torch_save({"model_state": state}, path)
    return state

"""Setting groups shared by the commands that train: where runs go and what hardware they use."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import Field, field_validator

from strl.errors import ConfigError
from strl.settings.schema import Settings


#: backbones strl.backbones registers (kept in step with the registry by a test)
BackboneName = Literal["pointnet", "dgcnn", "dgcnn-semseg", "dgcnn-partseg", "votenet", "pointpillars"]


class CheckpointSettings(Settings):
    """Checkpoint: what a checkpoint that carries no description holds."""

    backbone: Literal["", BackboneName] = ""
    """encoder of a checkpoint without a description ('': read from the checkpoint or its keys)"""
    k: Annotated[int, Field(ge=0)] = 0
    """DGCNN neighbours of a checkpoint without a description (0: the checkpoint's, else the backbone's default)"""


class DeviceSettings(Settings):
    """Compute: device, batches, progress."""

    device: str = "cpu"
    """where the encoder runs: cpu, cuda or cuda:N"""
    batch_size: Annotated[int, Field(ge=1)] = 32
    """clouds per forward pass"""
    progress: bool = True
    """show progress bars"""

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if value == "cpu" or value == "cuda" or (value.startswith("cuda:") and value[5:].isdigit()):
            return value
        raise ValueError("must be cpu, cuda or cuda:N")

    def check(self) -> None:
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ConfigError(f"--device {self.device} given but no CUDA device is available")


class RunSettings(Settings):
    """Run: output folder, hardware, logging."""

    out_dir: str = "runs"
    """folder that holds the run folders"""
    name: str = ""
    """run folder name inside --out-dir ('': the preset name and the start time)"""
    accelerator: Literal["auto", "cpu", "gpu", "cuda"] = "auto"
    """hardware to train on (auto: a GPU when one is available)"""
    devices: str = "auto"
    """how many devices ('auto', a count such as 2) or which GPUs ('0,1')"""
    num_nodes: Annotated[int, Field(ge=1)] = 1
    """machines taking part in a multi-node run"""
    strategy: str = "auto"
    """Lightning strategy, e.g. ddp (auto: chosen from the devices)"""
    precision: Literal["auto", "32-true", "bf16-mixed", "16-mixed", "64-true"] = "auto"
    """numeric precision (auto: bf16-mixed on GPU, 32-true on CPU)"""
    tensorboard: bool = False
    """also write TensorBoard logs"""
    progress: bool = True
    """show progress bars"""

    @field_validator("devices")
    @classmethod
    def _devices(cls, value: str) -> str:
        if value == "auto" or (value.isdigit() and int(value) >= 1):
            return value
        parts = value.split(",")
        if len(parts) > 1 and all(p.strip().isdigit() for p in parts):
            return ",".join(p.strip() for p in parts)
        raise ValueError("must be 'auto', a device count of at least 1, or GPU indices such as '0,1'")


def lightning_devices(devices: str, gpu: bool):
    """``devices`` as Lightning takes it: ``"auto"``, a count, or a list of GPU indices (GPU only)."""
    if devices == "auto":
        return "auto"
    if "," not in devices:
        return int(devices)
    if not gpu:
        raise ConfigError(f"--devices {devices} names GPU indices, but the run is on the CPU "
                          "(no CUDA device, or --accelerator cpu); give a process count such as --devices 2")
    return [int(p) for p in devices.split(",")]


def writable_folder(path: str, flag: str) -> str:
    """Create folder ``path`` if needed and check that files can be written in it (else ConfigError naming ``flag``)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: the folder is not writable")
    return path


def writable_file(path: str, flag: str) -> str:
    """Check, before any work, that file ``path`` can be written: its folder exists and is writable."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConfigError(f"{flag} {path}: is a folder, expected a file name")
    if not os.path.isdir(folder):
        raise ConfigError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise ConfigError(f"{flag} {path}: cannot write there (permission denied)")
    return path

"""What the benchmark ran on, and the matmul ceiling of that machine measured in the same run."""

from __future__ import annotations

import os
import platform
import time

import torch


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (Linux), else what ``platform`` says."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(device: str, threads: int) -> dict:
    """CPU model, cores, torch version and the device in words."""
    info = {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "threads": threads,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        # OpenMP waiting matters on a shared CPU: spinning threads stall when the cores are oversubscribed
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["device_name"] = torch.cuda.get_device_name(torch.device(device))
    else:
        info["device_name"] = info["cpu_model"]
    return info


def synchronize(device: str | torch.device) -> None:
    """Wait for the work queued on ``device`` (a no-op on CPU), so that wall times cover it."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(device: str = "cpu", size: int | None = None, repeats: int = 3, dtype: torch.dtype = torch.float32) -> float:
    """Best GFLOP/s of a ``size x size`` matmul (``2 size^3`` FLOPs) in ``dtype`` over ``repeats`` runs.

    ``size`` defaults to 8192 on GPU (a 2048 product does not fill a large GPU), 2048 on CPU, and
    1024 for CPU types other than fp32 (without native bf16 units a 2048 product takes minutes).
    """
    size = size or (8192 if device.startswith("cuda") else 2048 if dtype == torch.float32 else 1024)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    out = torch.empty(size, size, device=device, dtype=dtype)
    torch.mm(a, b, out=out)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9

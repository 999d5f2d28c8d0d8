import json
import os
import subprocess
import sys

import pytest
import torch

WORKER = os.path.join(os.path.dirname(__file__), "ddp_worker.py")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["byol", "simclr"])
def test_two_cpu_processes_end_with_identical_weights(tmp_path, method):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PL_DISABLE_FORK": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(29500 + (os.getpid() % 1000)), WORKER, str(tmp_path), method]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    w0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    w1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    init_like = [k for k in w0 if k.endswith("conv1.weight")][0]
    info = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert info[0]["world"] == 2 and info[0]["steps"] > 0
    if method == "simclr":
        # batch 4 per rank, 2 ranks: each anchor sees 2 * 8 - 2 = 14 negatives (the other rank's included)
        assert info[0]["negatives"] and all(n == 14 for n in info[0]["negatives"] + info[1]["negatives"])
    assert torch.isfinite(w0[init_like]).all()

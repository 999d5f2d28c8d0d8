import pytest
import torch

from strl.bench.train_step import StepSettings, _step_flops, _StrlRunner, flops_per_sample


def test_flops_per_pair_are_those_of_a_step_at_the_benchmarked_batch_size():
    s = StepSettings(preset="pointnet-cls", batch_size=6, num_points=64)
    runner = _StrlRunner(s)
    direct = _step_flops(runner, s, 6) / 6
    assert flops_per_sample(runner, s) == pytest.approx(direct, rel=1e-9)
    # per-batch work (BatchNorm statistics from Gram matrices) weighs more on small batches
    assert _step_flops(runner, s, 2) / 2 > direct


def test_precision_is_that_of_strl_pretrain_unless_asked():
    from strl.bench.train_step import step_precision

    assert step_precision(StepSettings(device="cpu")) == "32-true"
    assert step_precision(StepSettings(device="cuda")) == "bf16-mixed"
    assert step_precision(StepSettings(impl="original", device="cuda")) == "32-true"  # the original has no AMP
    assert step_precision(StepSettings(device="cpu", precision="bf16-mixed")) == "bf16-mixed"
    with pytest.raises(ValueError, match="precision"):
        step_precision(StepSettings(precision="16"))


def test_bf16_step_runs_under_autocast_and_reports_it():
    from strl.bench.train_step import measure

    s = StepSettings(preset="pointnet-cls", batch_size=2, num_points=64, steps=1, threads=1, precision="bf16-mixed")
    r = measure(s)
    assert r["precision"] == "bf16-mixed" and r["samples_per_s"] > 0 and r["flops_per_sample"] > 0
    runner = _StrlRunner(s)
    from strl.bench.train_step import example_clouds

    a, b = example_clouds(2, 64, 0, "cpu"), example_clouds(2, 64, 1, "cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        head_input = runner.method.backbone(a)
    loss = runner.loss(a, b)
    assert torch.isfinite(loss) and head_input.dtype == torch.float32  # the folded layer computes in fp32
    # under autocast the projector's first product runs in bf16
    with runner._cast():
        assert runner.method.projector(head_input).dtype == torch.bfloat16


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_step_in_bf16():
    from strl.bench.train_step import measure

    for preset in ("pointnet-cls", "dgcnn-cls"):
        r = measure(StepSettings(preset=preset, batch_size=4, num_points=256, steps=1, device="cuda"))
        assert r["precision"] == "bf16-mixed" and r["samples_per_s"] > 0 and r["peak_memory_bytes"] > 0

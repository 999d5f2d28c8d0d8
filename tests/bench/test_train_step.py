import pytest

from strl.bench.train_step import StepSettings, _step_flops, _StrlRunner, flops_per_sample


def test_flops_per_pair_are_those_of_a_step_at_the_benchmarked_batch_size():
    s = StepSettings(preset="pointnet-cls", batch_size=6, num_points=64)
    runner = _StrlRunner(s)
    direct = _step_flops(runner, s, 6) / 6
    assert flops_per_sample(runner, s) == pytest.approx(direct, rel=1e-9)
    # per-batch work (BatchNorm statistics from Gram matrices) weighs more on small batches
    assert _step_flops(runner, s, 2) / 2 > direct

import json

import pytest
import torch

from strl.backbones.dgcnn import DGCNN
from strl.backbones.pointnet import PointNet
from strl.bench.original_step import OriginalBYOL, OriginalDGCNN, OriginalPointNet
from strl.cli import bench
from strl.errors import ConfigError


def _args(argv):
    import argparse

    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(argv)


def test_original_encoders_have_strl_keys_and_outputs():
    torch.manual_seed(0)
    x = torch.rand(2, 96, 3)
    ours, original = DGCNN(k=8, emb_dims=32).eval(), OriginalDGCNN(k=8, emb_dims=32).eval()
    assert list(ours.state_dict()) == list(original.state_dict())
    original.load_state_dict(ours.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(original(x.transpose(1, 2)), ours(x), rtol=1e-4, atol=1e-5)
    ours, original = PointNet(emb_dims=32).eval(), OriginalPointNet(emb_dims=32).eval()
    original.load_state_dict(ours.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(original(x.transpose(1, 2)), ours(x))


def test_original_step_runs_ema_before_the_update():
    torch.manual_seed(1)
    model = OriginalBYOL("pointnet", emb_dims=16, hidden_dim=32, proj_dim=8)
    online = model.online_network.encoder.conv1.weight
    target = model.target_network.encoder.conv1.weight
    assert torch.equal(online, target)
    before = online.detach().clone()
    model.train_step(torch.rand(4, 64, 3), torch.rand(4, 64, 3))
    assert not torch.equal(online, before)  # the optimizer moved the online weights
    torch.testing.assert_close(target, before)  # the EMA ran on the weights before the step


def test_tiny_benchmark_writes_all_fields(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = bench.run(_args(["--points", "256", "--batch-size", "2", "--steps", "1", "--warmup", "0", "--threads", "1", "--in-process",
                            "--json", str(out)]))
    assert code == 0
    assert "pairs/s" in capsys.readouterr().out
    r = json.loads(out.read_text())
    positive = [
        "augment_pairs_per_s", "augment_pairs_per_s_original", "dataloader_pairs_per_s",
        "train_samples_per_s", "train_samples_per_s_original", "inference_samples_per_s",
        "inference_samples_per_s_original", "train_gflops_per_s", "train_gflops_per_s_original",
        "matmul_gflops_per_s", "flops_per_sample", "flops_per_sample_original",
        "peak_memory_bytes", "peak_memory_bytes_original", "train_speedup", "memory_ratio",
        "train_equivalent_gflops_per_s", "train_equivalent_fraction_of_matmul",
    ]
    for key in positive:
        assert isinstance(r[key], (int, float)) and r[key] > 0, key
    for phases in (r["train_phase_seconds"], r["train_phase_seconds_original"]):
        assert set(phases) == {"forward", "backward", "optimizer", "ema"}
        assert all(v >= 0 for v in phases.values())
    assert r["flops_per_sample_original"] > r["flops_per_sample"]  # the fused EdgeConv does less work
    equivalent = r["flops_per_sample_original"] * r["train_samples_per_s"] / 1e9
    assert r["train_equivalent_gflops_per_s"] == pytest.approx(equivalent)
    assert r["train_equivalent_fraction_of_matmul"] == pytest.approx(equivalent / r["matmul_gflops_per_s"])
    assert r["train_precision"] == r["train_precision_original"] == "32-true"
    assert "matmul_gflops_per_s_bf16" not in r and "train_fraction_of_bf16_matmul" not in r
    assert "augment_pairs_per_s_device" not in r  # measured on GPUs only
    assert r["settings"]["batch_size"] == 2 and r["settings"]["points"] == 256 and r["settings"]["k"] == 40
    assert r["machine"]["torch_version"] == torch.__version__ and r["machine"]["cpu_model"]


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError):
        bench.run(_args(["--preset", "nope"]))
    with pytest.raises(ConfigError):
        bench.run(_args(["--steps", "0"]))
    with pytest.raises(ConfigError):
        bench.run(_args(["--device", "tpu"]))
    with pytest.raises(ConfigError, match="skip-original"):
        bench.run(_args(["--preset", "default"]))  # SimCLR: the original step has no counterpart


def test_subprocess_measurement_reports_the_child_error():
    from strl.bench.train_step import StepSettings, measure_in_subprocess

    with pytest.raises(RuntimeError, match="no-such-preset"):
        measure_in_subprocess(StepSettings(preset="no-such-preset", steps=1))


def test_device_augmentation_is_timed_on_the_given_device():
    from strl.bench.report import measure_device_augmentation

    assert measure_device_augmentation(batch=2, num_points=128, steps=1, device="cpu") > 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_benchmark_reports_device_augmentation_and_bf16_ceiling(tmp_path):
    out = tmp_path / "bench.json"
    code = bench.run(_args(["--preset", "pointnet-cls", "--device", "cuda", "--batch-size", "4", "--points", "256",
                            "--steps", "1", "--in-process", "--json", str(out)]))
    assert code == 0
    r = json.loads(out.read_text())
    assert r["augment_pairs_per_s_device"] > 0 and r["matmul_gflops_per_s_bf16"] > r["matmul_gflops_per_s"]
    assert r["train_precision"] == "bf16-mixed" and r["train_precision_original"] == "32-true"
    assert r["train_fraction_of_bf16_matmul"] == pytest.approx(r["train_gflops_per_s"] / r["matmul_gflops_per_s_bf16"])

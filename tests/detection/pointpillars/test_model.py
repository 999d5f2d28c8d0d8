import pytest
import torch

from pointpillars_helpers import openpcdet_keys, random_points
from strl.detection.pointpillars import PointPillars, preset


def test_kitti_state_dict_equals_openpcdet_table_key_for_key():
    table = openpcdet_keys()
    assert len(table) == 127
    state = PointPillars(preset("pointpillars-kitti")).state_dict()
    assert len(state) == 126
    assert list(state) == [k for k in table if k != "global_step"]  # same keys, same order
    for key, value in state.items():
        assert tuple(value.shape) == table[key], key
    assert state["vfe.pfn_layers.0.norm.num_batches_tracked"].dtype == torch.int64


def test_module_layout_follows_openpcdet():
    model = PointPillars(preset("pointpillars-kitti"))
    assert [name for name, _ in model.named_children()] == ["vfe", "map_to_bev_module", "backbone_2d", "dense_head"]
    block = model.backbone_2d.blocks[1]
    assert isinstance(block[0], torch.nn.ZeroPad2d) and block[1].stride == (2, 2) and block[1].padding == (0, 0)
    assert all(isinstance(block[i], torch.nn.Conv2d) and block[i].stride == (1, 1) for i in range(4, 18, 3))
    bns = [m for m in model.modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))]
    assert len(bns) == 1 + 16 + 3 and all(m.eps == 1e-3 and m.momentum == 0.01 for m in bns)
    assert sum(isinstance(m, torch.nn.ReLU) for m in model.backbone_2d.modules()) == 16 + 3


def test_forward_shapes_and_head_init(tiny_cfg):
    torch.manual_seed(0)
    model = PointPillars(tiny_cfg)
    points = random_points(2, 3000, tiny_cfg, seed=1)
    out = model(model.pillarize(points))
    a = 32 * 32 * 6
    assert out.cls.shape == (2, a, 3) and out.box.shape == (2, a, 7) and out.dir.shape == (2, a, 2)
    assert model.anchors.shape == (a, 7)
    torch.testing.assert_close(model.dense_head.conv_cls.bias, torch.full((18,), -torch.log(torch.tensor(99.0)).item()))
    assert model.dense_head.conv_box.weight.std().item() == pytest.approx(0.001, rel=0.1)


def test_empty_frames_run(tiny_cfg):
    model = PointPillars(tiny_cfg)
    out = model(model.pillarize(torch.full((2, 5, 4), 100.0)))  # every point outside the range
    assert out.cls.shape[0] == 2 and torch.isfinite(out.cls).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(tiny_cfg):
    torch.manual_seed(0)
    cpu = PointPillars(tiny_cfg).double()
    gpu = PointPillars(tiny_cfg).double().cuda()
    gpu.load_state_dict(cpu.state_dict())
    points = random_points(2, 4000, tiny_cfg, seed=2).double()
    boxes = torch.tensor([[[5.0, 1.0, -1.0, 3.9, 1.6, 1.56, 0.3]], [[12.0, -3.0, -0.9, 0.8, 0.6, 1.73, 2.0]]], dtype=torch.float64)
    classes = torch.tensor([[0], [1]])
    out_cpu, out_gpu = cpu(cpu.pillarize(points)), gpu(gpu.pillarize(points.cuda()))
    for name in ("cls", "box", "dir"):
        torch.testing.assert_close(getattr(out_gpu, name).cpu(), getattr(out_cpu, name), rtol=1e-9, atol=1e-9)
    loss_cpu, loss_gpu = cpu.loss(out_cpu, boxes, classes), gpu.loss(out_gpu, boxes.cuda(), classes.cuda())
    torch.testing.assert_close(loss_gpu.total.cpu(), loss_cpu.total, rtol=1e-9, atol=1e-9)
    loss_cpu.total.backward()
    loss_gpu.total.backward()
    for (name, p), q in zip(cpu.named_parameters(), gpu.parameters()):
        torch.testing.assert_close(q.grad.cpu(), p.grad, rtol=1e-7, atol=1e-9, msg=name)
    det_cpu, det_gpu = cpu.predict(out_cpu), gpu.predict(out_gpu)
    for a, b in zip(det_cpu, det_gpu):
        torch.testing.assert_close(b.boxes.cpu(), a.boxes)
        torch.testing.assert_close(b.labels.cpu(), a.labels)

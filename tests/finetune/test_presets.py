"""Every fine-tuning preset resolves to the recipe the README and the reference code state."""

import pytest

from strl.tasks import task_class

REFERENCE_SGD = dict(optimizer="sgd", lr=0.1, min_lr=1e-3, weight_decay=1e-4, epochs=250, batch_size=32)

EXPECTED = {
    ("classify", "builtin"): dict(dataset="builtin", backbone="pointnet", num_points=1024, label_fraction=[0.2],
                                  epochs=40, batch_size=16, optimizer="adam", lr=1e-3, seeds=[0, 1, 2],
                                  scratch_baseline=True, val_fraction=0.1),
    ("classify", "dgcnn-modelnet40"): dict(REFERENCE_SGD, dataset="modelnet40", backbone="dgcnn", k=20, num_points=1024,
                                           momentum=0.9, dropout=0.5, label_smoothing=0.2, augment=True),
    ("classify", "pointnet-modelnet40"): dict(REFERENCE_SGD, dataset="modelnet40", backbone="pointnet", num_points=1024),
    ("classify", "dgcnn-scanobjectnn"): dict(REFERENCE_SGD, dataset="scanobjectnn-pb-t50-rs", backbone="dgcnn", k=20),
    ("partseg", "dgcnn-shapenetpart"): dict(optimizer="sgd", lr=0.1, backbone="dgcnn-partseg", k=40, num_points=2048,
                                            epochs=200, batch_size=32, restrict_parts=True),
    ("semseg", "builtin-rooms"): dict(dataset="builtin-rooms", backbone="dgcnn-semseg", k=20, num_points=512,
                                      block_size=1.0, block_stride=1.0, blocks_per_scene=4, max_test_scenes=12,
                                      label_fraction=[0.2], epochs=8, eval_every=2, test_every_evaluation=False),
    ("semseg", "dgcnn-s3dis"): dict(dataset="s3dis", num_points=4096, test_area=5, epochs=100, batch_size=32,
                                    optimizer="sgd", lr=0.1, input_channels=3),
    ("semseg", "dgcnn-scannet"): dict(dataset="scannet", num_points=8192, block_size=1.5, block_stride=0.75,
                                      epochs=200, batch_size=36, optimizer="adam", lr=1e-3),
    ("detect", "rooms-votenet"): dict(dataset="builtin-rooms", backbone="votenet", num_points=8192,
                                      votenet_npoints=[256, 128, 64, 32], num_proposals=128, epochs=36, batch_size=4,
                                      eval_every=12, test_every_evaluation=False),
    ("detect", "votenet-scannet"): dict(dataset="scannet", num_points=40000, num_proposals=256, epochs=180, batch_size=8,
                                        optimizer="adam", lr=1e-3, weight_decay=0.0, scheduler="step",
                                        lr_decay_epochs=[80, 120, 160], lr_decay_rate=0.1, votenet_bn_decay_step=20,
                                        use_height=False),
    ("detect", "votenet-sunrgbd"): dict(dataset="sunrgbd", num_points=20000, epochs=180, scheduler="step"),
}


@pytest.mark.parametrize("task, preset", list(EXPECTED))
def test_preset_values(task, preset):
    cls = task_class(task)
    assert preset in cls.presets
    values = cls.settings(**cls.presets[preset]).model_dump()  # the preset over the settings' defaults
    for key, expected in EXPECTED[task, preset].items():
        assert values[key] == expected, f"{preset}: {key}"


def test_every_preset_is_listed_here():
    listed = set(EXPECTED) | {("detect", "pointpillars-kitti"), ("detect", "pointpillars-streets")}  # tests/tasks
    for task in ("classify", "partseg", "semseg", "detect"):
        assert {(task, p) for p in task_class(task).presets} <= listed

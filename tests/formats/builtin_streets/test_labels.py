"""Labels of a frame: boxes hold their objects' points, occlusion and truncation of hand-built scenes,
DontCare far away, and the camera fields agree with the KITTI box conversions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from strl.formats.builtin_streets.calibration import IMAGE_SHAPE, street_calibration
from strl.formats.builtin_streets.labels import frame_labels, occlusion_level, padded, to_sensor
from strl.formats.builtin_streets.lidar import LidarSpec, scan, sensor_to_world
from strl.formats.builtin_streets.shapes import car
from strl.formats.builtin_streets.solids import Solids, block
from strl.formats.builtin_streets.street import random_street
from strl.formats.kitti_boxes import camera_boxes_to_lidar
from strl.geometry.boxes import points_in_boxes

SPEC = LidarSpec(beams=32, azimuth_steps=1024, max_range=100.0)
CAR_SIZE = (4.0, 1.6, 1.5)


def labelled_scene(cars_at, extra=(), pose=(0.0, 0.0, 0.0), spec=SPEC):
    """Cars (agents 0, 1, ...) heading +x at ``cars_at`` ``[(x, y), ...]`` plus ``extra`` scenery solids."""
    rng = np.random.default_rng(0)
    parts = [car(rng, CAR_SIZE).placed(x, y, 0.0, 0.0).with_owner(k) for k, (x, y) in enumerate(cars_at)]
    solids = Solids.concat(parts + list(extra))
    boxes = np.array([[x, y, CAR_SIZE[2] / 2, *CAR_SIZE, 0.0] for x, y in cars_at])
    sweep = scan(solids, pose, spec, rng)
    labels = frame_labels(np.array(["Car"] * len(cars_at)), boxes, sweep, sensor_to_world(pose, spec.height),
                          street_calibration(), IMAGE_SHAPE)
    return labels, sweep


def test_a_car_in_the_open_is_fully_visible_and_untruncated():
    objects, _ = labelled_scene([(15.0, 0.0)])
    labels = objects.labels
    assert labels.name.tolist() == ["Car"] and labels.occluded.tolist() == [0] and labels.truncated[0] == 0
    assert np.allclose(labels.dimensions[0], [CAR_SIZE[2] + 0.08, CAR_SIZE[1] + 0.16, CAR_SIZE[0] + 0.16])
    assert labels.rotation_y[0] == pytest.approx(-np.pi / 2)  # heading along the LiDAR's x: facing away
    back = camera_boxes_to_lidar(labels.location, labels.dimensions, labels.rotation_y, street_calibration())
    assert np.allclose(back, objects.boxes, atol=1e-9)


@pytest.mark.parametrize("wall_y, level", [(None, 0), (0.0, 1), (-0.24, 2)])
def test_occlusion_level_follows_the_share_of_blocked_rays(wall_y, level):
    # a wall at 8 m hides the car at 20 m (y from -0.88 to 0.88 with the margin) from y = 2.5 * wall_y to the left
    extra = [] if wall_y is None else [block(7.9, 8.1, wall_y, 5.0, 0.0, 3.0, reflectance=0.3)]
    objects, _ = labelled_scene([(20.0, 0.0)], extra)
    assert objects.labels.occluded.tolist() == [level]


def test_a_car_at_the_image_edge_is_truncated_and_its_box_clipped():
    objects, _ = labelled_scene([(8.0, -7.0)])  # about 41 degrees right: across image_2's right edge
    labels = objects.labels
    assert 0.05 < labels.truncated[0] < 0.95
    assert labels.bbox[0, 2] == pytest.approx(IMAGE_SHAPE[1] - 1)


def test_far_cars_become_dontcare_and_cars_behind_get_no_label():
    objects, _ = labelled_scene([(20.0, 0.0), (85.0, 3.0), (-20.0, 0.0)])
    labels = objects.labels
    assert labels.name.tolist() == ["Car", "DontCare"] and objects.agent.tolist() == [0, 1]
    assert labels.truncated[1] == -1 and labels.occluded[1] == -1 and labels.alpha[1] == -10
    assert (labels.location[1] == -1000).all() and (labels.dimensions[1] == -1).all()
    assert 0 < labels.bbox[1, 0] < labels.bbox[1, 2] < IMAGE_SHAPE[1]


def test_label_boxes_hold_nearly_all_points_of_their_objects():
    street = random_street(np.random.default_rng(0), 0.0, 80.0)
    pose = street.ego.pose(0.0)
    sweep = scan(street.solids_at(0.0), pose, SPEC, np.random.default_rng(0), street.ground_reflectance)
    objects = frame_labels(street.agents.names, street.agents.boxes_at(0.0), sweep,
                           sensor_to_world(pose, SPEC.height), street_calibration(), IMAGE_SHAPE)
    own = sweep.owner[:, None] == objects.agent[None, :]  # (N, K): point n lies on labelled object k
    on_objects = own.any(axis=1)
    inside = points_in_boxes(torch.from_numpy(sweep.points[on_objects, :3]).double(), torch.from_numpy(objects.boxes))
    assert own.sum() > 200 and len(objects.labels) > 5
    assert (inside.numpy() & own[on_objects]).sum() >= 0.995 * own.sum()
    assert (objects.points == own.sum(axis=0)).all()


def test_boxes_move_into_the_sensor_frame():
    pose = (10.0, 5.0, np.pi / 2)
    world = np.array([[10.0, 25.0, 1.0, 4.0, 2.0, 1.5, np.pi / 2 + 0.3]])
    box = to_sensor(world, sensor_to_world(pose, 1.73))[0]
    assert np.allclose(box, [20.0, 0.0, 1.0 - 1.73, 4.0, 2.0, 1.5, 0.3])
    grown = padded(world)[0]
    assert grown[2] - grown[5] / 2 == pytest.approx(world[0, 2] - world[0, 5] / 2)  # the bottom stays


def test_occlusion_levels():
    assert occlusion_level(np.array([0.0, 0.19, 0.2, 0.59, 0.6, 1.0])).tolist() == [0, 0, 1, 1, 2, 2]


def test_a_frame_without_objects_has_empty_labels():
    objects, _ = labelled_scene([(-20.0, 0.0)])  # behind the camera
    assert len(objects.labels) == 0 and objects.boxes.shape == (0, 7)

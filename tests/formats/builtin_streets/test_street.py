"""Street layout: things standing still never overlap, moving ones move, the ego stays in its lane."""

from __future__ import annotations

import numpy as np
import torch

from strl.formats.builtin_streets.lidar import LidarSpec, scan
from strl.formats.builtin_streets.street import RIGHT, random_street
from strl.geometry.boxes import bev_of
from strl.geometry.iou import bev_intersection


def test_agents_do_not_overlap_at_the_start_and_only_movers_move():
    for seed in range(4):
        street = random_street(np.random.default_rng(seed), duration=3.0, margin=60.0)
        boxes = torch.from_numpy(street.agents.boxes_at(0.0))
        overlap = bev_intersection(bev_of(boxes), bev_of(boxes)).numpy()
        np.fill_diagonal(overlap, 0.0)
        assert overlap.max() < 1e-6, seed
        moved = np.linalg.norm(street.agents.boxes_at(1.0)[:, :2] - boxes[:, :2].numpy(), axis=1)
        assert np.allclose(moved, street.agents.speed)
        assert {"Car", "Pedestrian"} <= set(street.agents.names.tolist())


def test_ego_drives_forward_in_a_right_hand_lane_and_sees_its_street():
    street = random_street(np.random.default_rng(5), duration=2.0, margin=60.0)
    lanes = [street.section.lane_y(RIGHT, k) for k in range(street.section.lanes)]
    assert street.ego.lane_y in lanes and street.ego.lane_y < 0
    for t in (0.0, 1.0, 2.0):
        x, y, yaw = street.ego.pose(t)
        assert x == street.ego.speed * t
        assert abs(y - street.ego.lane_y) <= 0.25 and abs(yaw) < 0.2
    sweep = scan(street.solids_at(0.0), street.ego.pose(0.0), LidarSpec(beams=16, azimuth_steps=256, max_range=60),
                 np.random.default_rng(0), street.ground_reflectance)
    assert (sweep.owner >= 0).sum() > 20 and (sweep.owner == -1).sum() > 1000

"""KITTI labels of one built-in street frame: what the camera sees, how truncated and occluded.

For each agent with at least one LiDAR ray on it (before dropout), in the sensor (LiDAR) frame:

* box: its ``box7``, converted to the label's camera fields by
  :func:`strl.formats.kitti_boxes.lidar_boxes_to_camera` (location, h w l, rotation_y) and
  :func:`~strl.formats.kitti_boxes.alpha_from_lidar`;
* visible share: of a 5 x 5 x 5 grid of points filling the box, the share in front of the camera
  (rect depth > 0.1 m) that projects inside image_2; an agent with none is not in the image and
  gets no label; **truncated** = 1 - that share;
* 2D box: the projected 8 corners, clipped to the image
  (:func:`~strl.formats.kitti_boxes.image_boxes`); when some corners lie behind the camera, the
  extent of the grid points in front of it;
* **occluded**: among the rays that enter the agent's box, those stopped by something else before
  they get there, against those that hit the agent: a share below 0.2 is 0 (fully visible), below
  0.6 is 1 (partly), else 2 (largely occluded);
* label boxes are the agent's solids' box grown by ``LABEL_MARGIN`` on every side but the
  bottom, so that they hold the noisy returns, as an annotator draws them round the points;
* agents farther than ``dontcare_distance`` ahead, or whose 2D box is less than
  ``dontcare_height`` pixels tall, become ``DontCare`` regions (only their 2D box is valid, the
  other fields hold KITTI's invalid values), listed after the objects.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from strl.formats.kitti_boxes import alpha_from_lidar, image_boxes, lidar_boxes_to_camera
from strl.formats.kitti_calib import Calibration
from strl.formats.kitti_labels import KittiLabels

from .lidar import Sweep
from .raycast import box_entries, ray_tiles
from .solids import BOX, solids

LABEL_MARGIN = 0.08  # metres added to each side and the top of a label box (4 x the default range noise)
OCCLUSION_LEVELS = (0.2, 0.6)  # occluded share below the first: level 0, below the second: 1, else 2
_GRID = np.stack(np.meshgrid(*(np.linspace(-0.5, 0.5, 5),) * 3, indexing="ij"), -1).reshape(-1, 3)


@dataclass
class FrameObjects:
    """The labelled agents of a frame: ``labels`` (objects, then DontCare), ``agent`` ``(K,)`` the
    agent of each label line, ``boxes`` ``(K, 7)`` their LiDAR boxes, ``points`` ``(K,)`` their
    LiDAR returns."""

    labels: KittiLabels
    agent: np.ndarray
    boxes: np.ndarray
    points: np.ndarray


def padded(boxes: np.ndarray, margin: float = LABEL_MARGIN) -> np.ndarray:
    """``box7`` ``(K, 7)`` grown by ``margin`` on each side and on top; the bottom stays."""
    out = boxes.copy()
    out[:, 3:5] += 2 * margin
    out[:, 5] += margin
    out[:, 2] += margin / 2
    return out


def to_sensor(boxes_world: np.ndarray, sensor_to_world: np.ndarray) -> np.ndarray:
    """World ``box7`` ``(K, 7)`` -> the sensor frame of the 4x4 ``sensor_to_world`` (a turn about z)."""
    inv = np.linalg.inv(sensor_to_world)
    out = boxes_world.copy()
    out[:, :3] = boxes_world[:, :3] @ inv[:3, :3].T + inv[:3, 3]
    out[:, 6] = boxes_world[:, 6] - np.arctan2(sensor_to_world[1, 0], sensor_to_world[0, 0])
    out[:, 6] = (out[:, 6] + np.pi) % (2 * np.pi) - np.pi
    return out


def grid_in_boxes(boxes: np.ndarray) -> np.ndarray:
    """``(K, 125, 3)`` points of a 5 x 5 x 5 grid filling each ``box7`` (faces included)."""
    local = _GRID[None] * boxes[:, None, 3:6]
    c, s = np.cos(boxes[:, 6])[:, None], np.sin(boxes[:, 6])[:, None]
    return np.stack([c * local[..., 0] - s * local[..., 1], s * local[..., 0] + c * local[..., 1], local[..., 2]],
                    -1) + boxes[:, None, :3]


def image_extent(boxes: np.ndarray, calib: Calibration, image_shape) -> tuple[np.ndarray, np.ndarray]:
    """Visible share ``(K,)`` of each LiDAR box's grid in image_2, and its 2D box ``(K, 4)`` (see the module)."""
    k = len(boxes)
    height, width = image_shape
    grid = grid_in_boxes(boxes).reshape(-1, 3)
    rect = calib.lidar_to_rect(grid)
    uv = calib.rect_to_image(rect)
    front = rect[:, 2] > 0.1
    inside = front & (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
    share = inside.reshape(k, len(_GRID)).mean(axis=1)
    location, dimensions, rotation_y = lidar_boxes_to_camera(boxes, calib)
    bbox = image_boxes(location, dimensions, rotation_y, calib, image_shape)
    corners_front = front.reshape(k, len(_GRID))[:, [0, 4, 20, 24, 100, 104, 120, 124]].all(axis=1)  # corners
    if not corners_front.all():
        u = np.where(front, uv[:, 0], np.nan).reshape(k, len(_GRID))
        v = np.where(front, uv[:, 1], np.nan).reshape(k, len(_GRID))
        with warnings.catch_warnings():  # a box wholly behind the camera: all-NaN rows (it is dropped)
            warnings.simplefilter("ignore", RuntimeWarning)
            partial = np.stack([np.nanmin(u, 1), np.nanmin(v, 1), np.nanmax(u, 1), np.nanmax(v, 1)], 1)
        partial[:, [0, 2]] = np.clip(partial[:, [0, 2]], 0, width - 1)
        partial[:, [1, 3]] = np.clip(partial[:, [1, 3]], 0, height - 1)
        bbox = np.where(corners_front[:, None], bbox, partial)
    return share, bbox


def occluded_shares(sweep: Sweep, boxes_world: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """``(K,)`` share of the rays into each world box ``(K, 7)`` that something else stops first;
    ``agents`` ``(K,)`` are the boxes' owners, in increasing order (see the module)."""
    own = np.bincount(np.searchsorted(agents, sweep.ray_owner[np.isin(sweep.ray_owner, agents)]),
                      minlength=len(agents)).astype(np.float64)
    blocked = np.zeros(len(agents))
    dirs = sweep.dirs
    origin = sweep.origin.astype(dirs.dtype)
    boxes = solids(BOX, boxes_world, 0.0)
    for rays, chosen in ray_tiles(origin, dirs, boxes, np.inf):
        entry = box_entries(origin, dirs[rays], boxes_world[chosen].astype(dirs.dtype))
        stopped = (sweep.hits.t[rays, None] < entry - 0.05) & (sweep.ray_owner[rays, None] != agents[chosen])
        blocked[chosen] += (np.isfinite(entry) & stopped).sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(own + blocked > 0, blocked / (own + blocked), 1.0)


def occlusion_level(share: np.ndarray) -> np.ndarray:
    """KITTI occlusion levels 0 / 1 / 2 of occluded shares ``(K,)``."""
    return np.searchsorted(np.array(OCCLUSION_LEVELS), share, side="right").astype(np.int64)


def frame_labels(names: np.ndarray, boxes_world: np.ndarray, sweep: Sweep, sensor_to_world: np.ndarray,
                 calib: Calibration, image_shape, dontcare_distance: float = 70.0,
                 dontcare_height: float = 12.0) -> FrameObjects:
    """The KITTI labels of a frame: agents ``names`` ``(A,)`` whose solids fill the world boxes
    ``(A, 7)``, seen in ``sweep`` from ``sensor_to_world`` (4x4)."""
    boxes_world = padded(boxes_world)
    seen = np.unique(sweep.ray_owner[sweep.ray_owner >= 0])
    boxes = to_sensor(boxes_world[seen], sensor_to_world)
    share, bbox = image_extent(boxes, calib, image_shape)
    keep = share > 0
    seen, boxes, share, bbox = seen[keep], boxes[keep], share[keep], bbox[keep]
    occluded = occlusion_level(occluded_shares(sweep, boxes_world[seen], seen))
    dontcare = (boxes[:, 0] > dontcare_distance) | (bbox[:, 3] - bbox[:, 1] < dontcare_height)
    order = np.concatenate([np.flatnonzero(~dontcare), np.flatnonzero(dontcare)])
    seen, boxes, share, bbox, occluded, dontcare = (a[order] for a in (seen, boxes, share, bbox, occluded, dontcare))
    location, dimensions, rotation_y = lidar_boxes_to_camera(boxes, calib)
    alpha = alpha_from_lidar(boxes, rotation_y)
    rotation_y = (rotation_y + np.pi) % (2 * np.pi) - np.pi
    alpha = (alpha + np.pi) % (2 * np.pi) - np.pi
    d = dontcare
    labels = KittiLabels(
        name=np.where(d, "DontCare", names[seen]).astype(str),
        truncated=np.where(d, -1.0, np.round(1 - share, 2)),
        occluded=np.where(d, -1, occluded),
        alpha=np.where(d, -10.0, alpha),
        bbox=bbox,
        dimensions=np.where(d[:, None], -1.0, dimensions),
        location=np.where(d[:, None], -1000.0, location),
        rotation_y=np.where(d, -10.0, rotation_y),
    )
    counts = np.bincount(sweep.owner[sweep.owner >= 0], minlength=len(names))
    return FrameObjects(labels, seen, boxes, counts[seen])

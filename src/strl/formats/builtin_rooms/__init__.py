"""The built-in rooms: furnished indoor rooms generated from a seed (no download), cached as one
``.npz`` beside the built-in objects, for indoor pre-training and transfer on a laptop and in tests.

* :meth:`RoomsData.frames` — RGB-D frame sequences of a depth camera walking through rooms (ScanNet
  conventions), a :class:`~strl.formats.base.SequenceSet` for pre-training;
* :meth:`RoomsData.scenes` — labelled scans of other rooms (semantic and instance labels, oriented
  boxes, vote targets), a :class:`~strl.formats.scenes.SceneSet` per split for fine-tuning.

>>> rooms = load_rooms("small")                         # doctest: +SKIP
>>> rooms.frames().frame(0, 0).points.shape             # doctest: +SKIP
(3021, 3)
>>> rooms.scenes("train").scene(0).boxes.shape          # doctest: +SKIP
(7, 7)
"""

from .classes import BOX_CLASSES, SEMANTIC_CLASSES
from .dataset import (SIZES, SPLITS, RoomFrames, RoomsConfig, RoomScenes, RoomsData, build_arrays, load_rooms,
                      sized_config)

__all__ = ["BOX_CLASSES", "SEMANTIC_CLASSES", "SIZES", "SPLITS", "RoomFrames", "RoomScenes", "RoomsConfig",
           "RoomsData", "build_arrays", "load_rooms", "sized_config"]

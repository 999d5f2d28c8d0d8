"""VoteNet (Qi et al., ICCV 2019) in pure PyTorch, key-compatible with facebookresearch/votenet.

- :mod:`.box_config` dataset box parameterisations (ScanNet, SUN RGB-D); :mod:`.box_coding` bins
- :mod:`.model` the network (``backbone_net``, :mod:`.voting` ``vgen``, :mod:`.proposal` ``pnet``)
- :mod:`.vote_targets`, :mod:`.loss` training targets and loss
- :mod:`.decode`, :mod:`.parse` boxes and detections from the outputs
- :mod:`.inputs`, :mod:`.augment`, :mod:`.batch` data pipeline; :mod:`.export` VoteNet checkpoints
"""

from strl.detection.votenet.augment import AUGMENTATIONS, SceneTransform
from strl.detection.votenet.batch import MAX_NUM_OBJ, DetectionBatch, collate_detection
from strl.detection.votenet.box_config import BOX_CONFIGS, SCANNET, SUNRGBD, BoxConfig
from strl.detection.votenet.decode import decode_boxes
from strl.detection.votenet.export import export_votenet, votenet_checkpoint
from strl.detection.votenet.inputs import DetectionSample, prepare_scene
from strl.detection.votenet.loss import votenet_loss
from strl.detection.votenet.model import VoteNet
from strl.detection.votenet.parse import PARSE_PRESETS, Detections, ParseSettings, parse_predictions
from strl.detection.votenet.vote_targets import box_vote_targets, instance_vote_targets

__all__ = [
    "AUGMENTATIONS", "BOX_CONFIGS", "MAX_NUM_OBJ", "PARSE_PRESETS", "SCANNET", "SUNRGBD", "BoxConfig",
    "DetectionBatch", "DetectionSample", "Detections", "ParseSettings", "SceneTransform", "VoteNet",
    "box_vote_targets", "collate_detection", "decode_boxes", "export_votenet", "instance_vote_targets",
    "parse_predictions", "prepare_scene", "votenet_checkpoint", "votenet_loss",
]

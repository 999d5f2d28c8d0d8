"""VoteNet (Qi et al., ICCV 2019) in pure PyTorch, key-compatible with facebookresearch/votenet.

- :mod:`.box_config` dataset box parameterisations (ScanNet, SUN RGB-D); :mod:`.box_coding` bins
- :mod:`.model` the network (``backbone_net``, :mod:`.voting` ``vgen``, :mod:`.proposal` ``pnet``)
- :mod:`.vote_targets`, :mod:`.loss` training targets and loss
- :mod:`.decode`, :mod:`.parse` boxes and detections from the outputs
- :mod:`.inputs`, :mod:`.augment`, :mod:`.batch` data pipeline; :mod:`.export` VoteNet checkpoints
"""

"""The built-in dataset strl uses when no data is given: parametric objects of 14 classes,
generated from a seed (no download) and cached as one ``.npz``.

>>> data = BuiltinData(BuiltinConfig(seed=0))       # doctest: +SKIP
>>> data.sequences().frame(0, 0).points.shape        # doctest: +SKIP
(1024, 3)
"""

from .classes import CLASS_NAMES
from .dataset import BuiltinClouds, BuiltinConfig, BuiltinData, BuiltinSequences, build_arrays, default_cache_dir

__all__ = ["CLASS_NAMES", "BuiltinClouds", "BuiltinConfig", "BuiltinData", "BuiltinSequences", "build_arrays",
           "default_cache_dir"]
